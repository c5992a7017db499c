import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';

const XSD = join(import.meta.dirname, '..', 'fixtures', 'junit', 'junit.xsd');

/**
 * Validates a JUnit report against test/fixtures/junit/junit.xsd with libxml2's xmllint compiled to
 * WebAssembly (no system package, no network); resolves to libxml2's messages, none when valid.
 */
export async function junitXsdErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'junit.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: readFileSync(XSD, 'utf8') }] });
  if (result.valid) return [];
  // An invalid schema or unparsable report has no per-line errors: return the raw output so it is seen.
  return result.errors.length ? result.errors.map((e) => e.rawMessage) : [result.rawOutput || 'invalid, with no message'];
}
