import { describe, it, expect } from 'vitest';
import { cpSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fromHex } from '../../protocol/bytes.ts';
import { buildCap } from '../../protocol/cap/index.ts';
import { toAnnotatedText } from '../../reader-bridge/index.ts';
import { runScenario } from '../../scenarios/run-scenario.ts';
import { parseScenario } from '../../scenarios/load-scenario.ts';
import { ScenarioError } from '../../scenarios/scenario-error.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runCardlab } from '../support/cardlab-cli.ts';

const MATERIAL = join(import.meta.dirname, '..', 'fixtures', 'scenarios', 'user-material');

/**
 * A user's project: scenario files, a keys file and (copied from the fixtures) an applet model module.
 * Written by the test, not kept under test/fixtures/scenarios, whose folder `cardlab run` tests run whole.
 */
const PROJECT: Record<string, string> = {
  'own-cap.yaml': `name: a CAP file of the user's, run by an applet model of the user's
seed: 3
applets: [./counter-applet.ts]
steps:
  - authenticate: { level: "03" }
  - load: { cap: { file: counter.cap } }          # written by \`cardlab cap build\` beside this file
  - install: { package: "F05553455201", module: "F0555345520101", instance: "F055534552010101", parameters: "29" }
  - select: "F055534552010101"
  - name: the user's applet answers its own INS
    apdu: "8010000001"
    expect: { sw: "9000", data: "2A" }
  - name: and refuses others as its model says
    apdu: "8020000000"
    expect: { sw: "6D00" }
  - assert: { card: { loadFiles: ["F05553455201"], applications: ["F055534552010101"] } }
`,
  'library-importer.yaml': `name: a library and a package importing it, both CAP files of the user's
seed: 4
steps:
  - authenticate: { level: "03" }
  - name: the importer cannot link before its library is on the card
    load: { cap: { file: importer.cap } }
    expect: { sw: "6438" }
  - load: { cap: { file: library.cap } }
  - load: { cap: { file: importer.cap } }
  - name: the library is not deleted while a package imports it (GPCS 11.2.2.3)
    delete: { aid: "F0555345524C" }
    expect: { sw: "6985" }
  - delete: { aid: "F05553455249" }
  - delete: { aid: "F0555345524C" }
  - assert: { card: { loadFiles: [] } }
`,
  'own-keys.yaml': `name: the card's own ISD keys, as a real card would have them
seed: 5
keys:
  enc: "00112233445566778899AABBCCDDEEFF"
  mac: "102132435465768798A9BACBDCEDFE0F"
  dek: "FFEEDDCCBBAA99887766554433221100"
  kvn: "31"
  level: "33"
steps:
  - authenticate: {}                     # these keys, KVN 31, level 33
  - getStatus: isd
  - apdu: "80CA9F7F00"                   # GET DATA CPLC through the session
    secure: true
    expect: { sw: "9000" }
  - name: the profile's GP test keys are gone (the card holds KVN 31 only)
    authenticate: { kvn: "30", keys: { enc: "404142434445464748494A4B4C4D4E4F", mac: "404142434445464748494A4B4C4D4E4F", dek: "404142434445464748494A4B4C4D4E4F" } }
    expect: { sw: "6A88" }
`,
  'plain-authenticate.yaml': `name: an authentication with whatever keys the run gives (cardlab run --keys FILE)
seed: 5
steps:
  - authenticate: {}
  - getStatus: isd
`,
  'keys.json': `{ "enc": "00112233445566778899AABBCCDDEEFF", "mac": "102132435465768798A9BACBDCEDFE0F", "dek": "FFEEDDCCBBAA99887766554433221100", "kvn": "32", "level": "13" }
`,
};

/** The user's project in a folder of its own. */
function project(): string {
  const dir = tempDir('cardlab-user-');
  cpSync(MATERIAL, dir, { recursive: true });
  for (const [name, text] of Object.entries(PROJECT)) writeFileSync(join(dir, name), text);
  return dir;
}

const cardlab = runCardlab;

const failures = (r: Awaited<ReturnType<typeof runScenario>>) => r.failure?.message ?? '';

describe("the user's own CAP files (load: { cap: { file } })", () => {
  it('loads a CAP written by `cardlab cap build`, installs it and its applet model (a module of the user\'s) answers its own INS', async () => {
    const dir = project();
    const built = await cardlab(dir, 'cap', 'build', '--package-aid', 'F05553455201', '--applet-aid', 'F0555345520101', '--code-size', '600', '-o', 'counter.cap');
    expect(built.code, built.stderr).toBe(0);
    const r = await runScenario(join(dir, 'own-cap.yaml'));
    expect(r.status, failures(r)).toBe('passed');
    expect(r.steps.map((s) => s.status)).toEqual(Array(7).fill('passed'));
    // The trace speaks the user's applet's words.
    expect(r.trace.flatMap((e) => e.note ?? []).join('\n')).toMatch(/INCREMENT[\s\S]*count 42/);
  });

  it('a library and a package importing it: the importer links only after the library, which is then not deleted (6985)', async () => {
    const dir = project();
    const library = { aid: fromHex('F0555345524C'), major: 1, minor: 0 };
    writeFileSync(join(dir, 'library.cap'), buildCap({ packageAid: library.aid, appletAids: [fromHex('F0555345524C01')], codeSize: 300 }));
    writeFileSync(join(dir, 'importer.cap'), buildCap({ packageAid: fromHex('F05553455249'), appletAids: [fromHex('F0555345524901')], codeSize: 100, imports: [library] }));
    const r = await runScenario(join(dir, 'library-importer.yaml'));
    expect(r.status, failures(r)).toBe('passed');
    expect(r.steps.map((s) => s.status)).toEqual(Array(8).fill('passed'));
  });

  it('a CAP file that is missing or not a CAP fails the load step, naming the file and the rule for relative paths', async () => {
    const dir = project();
    const missing = await runScenario(join(dir, 'own-cap.yaml'));
    expect(missing.status).toBe('failed');
    expect(failures(missing)).toContain(`cannot read the CAP file ${join(dir, 'counter.cap')} (a path in a scenario is relative to the scenario's folder): ENOENT`);
    writeFileSync(join(dir, 'counter.cap'), 'not a zip');
    const broken = await runScenario(join(dir, 'own-cap.yaml'));
    expect(failures(broken)).toMatch(/counter\.cap is not a CAP file cardlab can load: /);
  });

  it('a CAP is a file or generated, never both, and the loader says so in words', () => {
    const both = () => parseScenario('name: x\nsteps:\n  - load: { cap: { file: a.cap, packageAid: "F05553455201" } }\n', 'x.yaml');
    expect(both).toThrow(ScenarioError);
    expect(both).toThrow(/x\.yaml:3: steps\[0\]\.load\.cap: a CAP is either a file of yours or generated, not both: drop packageAid/);
    expect(() => parseScenario('name: x\nsteps:\n  - load: { cap: { codeSize: 10 } }\n', 'x.yaml')).toThrow(/give a CAP file \(file: path\.cap, relative to the scenario\) or a generated CAP/);
  });
});

describe("the user's own applet models (applets: [module])", () => {
  it('a .mjs module runs under `cardlab run`, as with the published package', async () => {
    const dir = project();
    await cardlab(dir, 'cap', 'build', '--package-aid', 'F05553455201', '--applet-aid', 'F0555345520101', '--code-size', '600', '-o', 'counter.cap');
    const yaml = (await import('node:fs')).readFileSync(join(dir, 'own-cap.yaml'), 'utf8').replace('./counter-applet.ts', './counter-applet.mjs');
    writeFileSync(join(dir, 'own-cap-mjs.yaml'), yaml);
    const r = await cardlab(dir, 'run', 'own-cap-mjs.yaml');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 passed/);
  });

  it('a module that exports no applet model, or is not there, is an error naming it', async () => {
    const dir = project();
    writeFileSync(join(dir, 'nothing.mjs'), 'export const answer = 42;\n');
    writeFileSync(join(dir, 'a.yaml'), 'name: a\napplets: [./nothing.mjs]\nsteps:\n  - select: "A000000151000000"\n');
    const none = await runScenario(join(dir, 'a.yaml'));
    expect(none.status).toBe('error');
    expect(failures(none)).toContain(`${join(dir, 'nothing.mjs')} exports no applet model`);
    writeFileSync(join(dir, 'b.yaml'), 'name: b\napplets: [./gone.mjs]\nsteps:\n  - select: "A000000151000000"\n');
    const gone = await runScenario(join(dir, 'b.yaml'));
    expect(failures(gone)).toContain(`${join(dir, 'gone.mjs')}: no such applet module (a path in a scenario is relative to the scenario's folder)`);
  });
});

describe("a real card's keys (keys: in the scenario, --keys FILE on the command line)", () => {
  it('the simulated card is personalised with the scenario keys; authenticate uses them, their KVN and level', async () => {
    const r = await runScenario(join(project(), 'own-keys.yaml'));
    expect(r.status, failures(r)).toBe('passed');
    // EXTERNAL AUTHENTICATE at level 33 (P1), after INITIALIZE UPDATE with KVN 31 (P1).
    const commands = r.trace.filter((e) => e.dir === 'C').map((e) => e.hex);
    expect(commands.some((c) => c.startsWith('80503100'))).toBe(true);
    expect(commands.some((c) => c.startsWith('84823300'))).toBe(true);
  });

  it('`cardlab run --keys FILE` overrides the scenario: the sim card holds the keys of the file, and authenticate uses them', async () => {
    const dir = project();
    for (const file of ['plain-authenticate.yaml', 'own-keys.yaml']) {
      const r = await cardlab(dir, 'run', file, '--keys', 'keys.json', '--trace-dir', 'traces');
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const { readdirSync, readFileSync } = await import('node:fs');
    const traces = readdirSync(join(dir, 'traces')).filter((f) => f.endsWith('.trace.txt'));
    expect(traces).toHaveLength(2);
    // INITIALIZE UPDATE with KVN 32, EXTERNAL AUTHENTICATE at level 13: the file's, not the scenario's 31 and 33.
    for (const t of traces) expect(readFileSync(join(dir, 'traces', t), 'utf8')).toMatch(/>> 80 50 32 00[\s\S]*>> 84 82 13 00/);
  });

  it('a keys file that is not one is a usage error (exit 2) saying what is wrong', async () => {
    const dir = project();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ enc: '0011', mac: '0011', dek: '0011' }));
    const r = await cardlab(dir, 'run', 'plain-authenticate.yaml', '--keys', 'bad.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: enc must be an AES key of 16, 24 or 32 bytes as hex/);
  });

  it('keys that the schema accepts but a card cannot hold are refused by the loader (KVN 80, keys of two lengths)', () => {
    const text = (extra: string) => `name: k\nkeys: { enc: "${'11'.repeat(16)}", mac: "${'22'.repeat(16)}", dek: "${'33'.repeat(16)}"${extra} }\nsteps:\n  - authenticate: {}\n`;
    expect(() => parseScenario(text(', kvn: "80"'), 'k.yaml')).toThrow(/k\.yaml:2: keys: kvn must be 2 hex digits from "01" to "7F"/);
    expect(() => parseScenario(text('').replace(`dek: "${'33'.repeat(16)}"`, `dek: "${'33'.repeat(32)}"`), 'k.yaml')).toThrow(/enc, mac and dek must be keys of one length/);
    expect(() => parseScenario(text('').replace(/"1111+"/, '11111111111111111111111111111111'), 'k.yaml')).toThrow(/keys\.enc: 11111111111111111111111111111111 is read by YAML as a number/);
  });

  it('keys with the embedded issuer are refused: it personalises the card with keys of its own', async () => {
    const s = parseScenario(`name: k\nkeys: { enc: "${'11'.repeat(16)}", mac: "${'11'.repeat(16)}", dek: "${'11'.repeat(16)}" }\nsteps:\n  - provision: { service: loyalty }\n`, 'k.yaml');
    const r = await runScenario(s);
    expect(r.status).toBe('error');
    expect(failures(r)).toMatch(/keys: the embedded issuer personalises the simulated card with per-card keys of its own/);
  });
});

describe('replay:FILE readers: in a scenario relative to its folder, given to the run relative to the working directory', () => {
  it('a scenario naming replay:traces/x.trace.txt replays the trace beside it, whatever the working directory', async () => {
    const dir = project();
    const recorded = await runScenario(join(dir, 'own-keys.yaml'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'traces'));
    writeFileSync(join(dir, 'traces', 'own-keys.trace.txt'), toAnnotatedText(recorded.trace));
    const yaml = (await import('node:fs')).readFileSync(join(dir, 'own-keys.yaml'), 'utf8').replace('seed: 5', 'seed: 5\nreader: replay:traces/own-keys.trace.txt');
    writeFileSync(join(dir, 'replayed.yaml'), yaml);
    expect(process.cwd()).not.toBe(dir);
    const r = await runScenario(join(dir, 'replayed.yaml'));
    expect(r.status, failures(r)).toBe('passed');
    // Given to the run (as `--reader` does), the same trace is found relative to the working directory.
    const given = await runScenario(join(dir, 'own-keys.yaml'), { reader: `replay:${relative(process.cwd(), join(dir, 'traces', 'own-keys.trace.txt'))}` });
    expect(given.status, failures(given)).toBe('passed');
  });

  it('over a replay no command reaches the simulated card: card assertions say they need it, authenticate keeps its keys', async () => {
    const dir = project();
    writeFileSync(join(dir, 'secured.yaml'), 'name: secured\nseed: 8\nsteps:\n  - authenticate: {}\n  - getStatus: isd\n  - assert: { card: { lifeCycle: SECURED } }\n');
    const recorded = await runScenario(join(dir, 'secured.yaml'));
    expect(recorded.status, failures(recorded)).toBe('passed');
    writeFileSync(join(dir, 'secured.trace.txt'), toAnnotatedText(recorded.trace));
    const replayed = await runScenario(join(dir, 'secured.yaml'), { reader: `replay:${relative(process.cwd(), join(dir, 'secured.trace.txt'))}` });
    // The profile's keys opened the replayed session (steps 1 and 2); the assertion did not read a card nobody drove.
    expect(replayed.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
    expect(failures(replayed)).toMatch(/card assertions need the simulated card \(reader sim or vpcd\)/);
  });

  it('a trace that is not there is an error saying which rule applied', async () => {
    const dir = project();
    writeFileSync(join(dir, 'r.yaml'), 'name: r\nreader: replay:gone.trace.txt\nsteps:\n  - select: "A000000151000000"\n');
    const inScenario = await runScenario(join(dir, 'r.yaml'));
    expect(inScenario.status).toBe('error');
    expect(failures(inScenario)).toContain(`reader replay:gone.trace.txt: no trace file ${join(dir, 'gone.trace.txt')} (written in the scenario, it is relative to the scenario's folder)`);
    const given = await runScenario(join(dir, 'r.yaml'), { reader: 'replay:gone.trace.txt' });
    expect(failures(given)).toContain(`no trace file ${join(process.cwd(), 'gone.trace.txt')} (given to the run, it is relative to the working directory)`);
  });
});
