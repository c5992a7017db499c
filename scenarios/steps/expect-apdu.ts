import { toHex } from '../../protocol/bytes.ts';
import { SW, swHex, swMeaning, swName } from '../../protocol/apdu/index.ts';
import { annotate, describeCommand } from '../../protocol/describe.ts';
import { StepFailure } from '../run-context.ts';
import type { ApduExpectation } from '../scenario.ts';

/** A response, or the fact that the card gave none (power loss, removal). */
export type Outcome = Uint8Array | { noResponse: string };

function describeSw(sw: number): string {
  return `${swHex(sw)} (${swMeaning(sw)})`;
}

/**
 * Checks one exchange against a step's expectations; without any, the command must succeed (9000 or
 * 61xx). The failure says what was sent, what came back with the status word's meaning, and what was
 * expected.
 */
export function checkApdu(what: string, expect: ApduExpectation | undefined, command: Uint8Array, outcome: Outcome): void {
  const sent = toHex(command, ' ');
  const sentShort = command.length > 24 ? `${toHex(command.subarray(0, 24), ' ')} … (${command.length} bytes)` : sent;
  if (!(outcome instanceof Uint8Array)) {
    if (expect?.noResponse) return;
    throw new StepFailure(`${what}: the card gave no response (${outcome.noResponse}); expected ${expect?.sw ? describeSw(parseInt(expect.sw, 16)) : 'success'}`, {
      command: sent,
      notes: describeCommand(command),
    });
  }
  const response = outcome;
  const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
  const data = toHex(response.subarray(0, response.length - 2));
  const fail = (expected: string): never => {
    throw new StepFailure(`${what}: sent ${sentShort}, got ${describeSw(sw)}${data ? ` with data ${data.length > 64 ? `${data.slice(0, 64)}…` : data}` : ''}; expected ${expected}`, {
      command: sent,
      response: toHex(response, ' '),
      notes: annotate(command, response),
    });
  };
  if (expect?.noResponse) fail('no response (a power loss or removal)');
  if (expect?.response !== undefined && toHex(response) !== expect.response.replace(/ /g, '').toUpperCase()) fail(`response ${expect.response}`);
  if (expect?.sw !== undefined && sw !== parseInt(expect.sw, 16)) fail(describeSw(parseInt(expect.sw, 16)));
  if (expect?.swName !== undefined) {
    if (!(expect.swName in SW)) throw new StepFailure(`${what}: unknown status-word name ${expect.swName}`);
    if (swName(sw) !== expect.swName) fail(`${expect.swName} (${describeSw((SW as Record<string, number>)[expect.swName]!)})`);
  }
  if (expect?.data !== undefined && data !== expect.data.replace(/ /g, '').toUpperCase()) fail(`data ${expect.data || '(none)'}`);
  if (expect?.dataPattern !== undefined && !new RegExp(expect.dataPattern).test(data)) fail(`data matching /${expect.dataPattern}/`);
  const anySw = expect?.sw !== undefined || expect?.swName !== undefined || expect?.response !== undefined;
  if (!anySw && sw !== 0x9000 && (sw & 0xff00) !== 0x6100) fail('success (9000)');
}

/** The status word of a response. */
export function swOf(response: Uint8Array): number {
  return (response[response.length - 2]! << 8) | response[response.length - 1]!;
}
