import { toHex } from '../../protocol/bytes.ts';
import { annotate } from '../../protocol/describe.ts';

/**
 * One exchange as the golden transcripts and annotated traces print it:
 * `>> <C-APDU spaced hex>`, `# <annotation>`…, `<< <R-APDU spaced hex>`.
 */
export function formatExchange(command: Uint8Array, response: Uint8Array, options: { annotate?: boolean } = {}): string[] {
  const lines = [`>> ${toHex(command, ' ')}`];
  if (options.annotate) lines.push(...annotate(command, response).map((l) => `# ${l}`));
  lines.push(`<< ${toHex(response, ' ')}`);
  return lines;
}
