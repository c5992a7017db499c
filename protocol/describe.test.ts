import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex } from './bytes.ts';
import { annotate, createDialogueAnnotator, describeCommand, describeResponse, type AppletDescription } from './describe.ts';

describe('describeCommand', () => {
  it('names INSTALL [for load] with its header and decodes the LV fields (reference §6.6)', () => {
    const capdu = fromHex('80E602003407D0D1D2D3D4D50108A0000001510000002060A16FEA3D7BAF74DFE112ABF645972D6869EDEE8A46F4109CE78F40D33E57B5000000');
    expect(describeCommand(capdu)).toEqual([
      'INSTALL [for load] (CLA 80 INS E6 P1 02 P2 00, Lc 34, Le 00)',
      '  Load File AID: D0D1D2D3D4D501',
      '  Security Domain AID: A000000151000000',
      '  Load File Data Block Hash: 60A16FEA3D7BAF74DFE112ABF645972D6869EDEE8A46F4109CE78F40D33E57B5',
      '  load parameters: (none)',
      '  load token: (none)',
    ]);
  });

  it('decodes INSTALL [for install and make selectable] privileges and install parameters', () => {
    const lines = describeCommand(fromHex('80E60C002707D0D1D2D3D4D50108D0D1D2D3D4D5010108D0D1D2D3D4D50101010209C90100EF04C80207D0 00 00'.replace(/ /g, '')));
    expect(lines[0]).toBe('INSTALL [for install and make selectable] (CLA 80 INS E6 P1 0C P2 00, Lc 27, Le 00)');
    expect(lines).toContain('  privileges: 02 = CVM Management');
    expect(lines).toContain('      C8 non-volatile memory quota / minimum (2 bytes): 07D0 = 2000 bytes');
  });

  it('shows the requested tag of GET DATA', () => {
    expect(describeCommand(hex`80 CA 9F 7F 00`)).toEqual(['GET DATA (CLA 80 INS CA P1 9F P2 7F, Le 00)', '  tag 9F7F CPLC']);
  });

  it('marks secure-messaging commands and leaves their data undecoded', () => {
    const lines = describeCommand(hex`84 E6 0C 00 10 0102030405060708 1112131415161718 00`);
    expect(lines[0]).toBe('INSTALL [for install and make selectable] (secure messaging) (CLA 84 INS E6 P1 0C P2 00, Lc 10, Le 00)');
    expect(lines[1]).toBe('  data (16 bytes, secure messaging, not decoded): 01020304050607081112131415161718');
  });

  it('prints extended Lc and Le as coded', () => {
    expect(describeCommand(hex`00 2A 9E 9A 00 00 01 AA 00 00`)[0]).toBe(
      'PERFORM SECURITY OPERATION [compute digital signature] (CLA 00 INS 2A P1 9E P2 9A, Lc 000001, Le 0000)',
    );
  });

  it('reports a malformed APDU with its error code and hex instead of throwing', () => {
    expect(describeCommand(hex`80 F0 40 80 08 D0`)).toEqual([
      'malformed command APDU (LC_MISMATCH: Lc 8 promises 8 data bytes but 1 follow (at byte 4)): 80F0408008D0',
    ]);
  });
});

describe('describeResponse', () => {
  it('gives the SW meaning', () => {
    expect(describeResponse(hex`9000`)).toEqual(['9000 success']);
    expect(describeResponse(hex`6A82`)).toEqual(['6A82 application/file not found']);
  });

  it('decodes CPLC fields under the 9F7F line (reference §3.3)', () => {
    const lines = describeResponse(fromHex('9F7F2A4790D6004700000000003244342952208448000000000000000015278234323935320000000000000000 9000'.replace(' ', '')));
    expect(lines[0]).toBe('9000 success');
    expect(lines[2]).toMatch(/^ {4}9F7F CPLC \(42 bytes\): 4790D600/);
    expect(lines).toContain('      IC fabricator: 4790');
    expect(lines).toContain('      IC serial number: 34295220');
  });

  it('decodes FF21 numbers in decimal (reference §3.7)', () => {
    expect(describeResponse(fromHex('FF211081020002820400016DB483040000086A9000'))).toEqual([
      '9000 success',
      '  data (19 bytes):',
      '    FF21 Extended Card Resources Information (16 bytes)',
      '      81 number of installed applications (2 bytes): 0002 = 2',
      '      82 free non-volatile memory (4 bytes): 00016DB4 = 93620 bytes',
      '      83 free volatile memory (4 bytes): 0000086A = 2154 bytes',
    ]);
  });

  it('reads an ISO-class GET DATA answer as the bare value of the requested tag', () => {
    const lines = describeResponse(hex`0002 9000`, hex`00 CA 00 C2 00`);
    expect(lines).toEqual(['9000 success', '  C2 confirmation counter (2 bytes): 0002']);
  });

  it('splits an SCP03 INITIALIZE UPDATE response into its fields (reference §10.2)', () => {
    const lines = describeResponse(fromHex('000102030405060708093003709C7FB6F70A5B0B6D1A2B3C4D5E6F70810000159000'), hex`80 50 30 00 08 0001020304050607 00`);
    expect(lines).toContain('  key information: KVN 30 SCP03 i=70');
    expect(lines).toContain('  sequence counter: 000015');
  });

  it('falls back to hex for data that is not BER-TLV, and never throws on garbage', () => {
    expect(describeResponse(hex`9F 7F 2A 90 00`)).toEqual(['9000 success', '  data (3 bytes): 9F7F2A']);
    expect(describeResponse(hex`6A`)[0]).toMatch(/^malformed response APDU \(TOO_SHORT/);
  });
});

describe('annotate', () => {
  it('joins the command and the response lines (reference §2.3 minimal FCI)', () => {
    expect(annotate(hex`00 A4 04 00 00`, fromHex('6F108408A000000151000000A5049F6501FF9000'))).toEqual([
      'SELECT (CLA 00 INS A4 P1 04 P2 00, Le 00)',
      '  select by name, first or only occurrence',
      '9000 success',
      '  data (18 bytes):',
      '    6F FCI template (16 bytes)',
      '      84 DF name (8 bytes): A000000151000000',
      '      A5 proprietary data (4 bytes)',
      '        9F65 max length of command data field (1 byte): FF = 255',
    ]);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), (c, r) => {
        const lines = annotate(c, r);
        expect(lines.length).toBeGreaterThan(1);
      }),
      { numRuns: 1000 },
    );
  });
});

/** A purse applet's vocabulary, as an applet model gives it (the loyalty model's, in the words of its specification). */
const PURSE: AppletDescription = {
  instructions: {
    0x52: { name: 'CREDIT', data: (d) => ({ amount: d.length === 4 ? Buffer.from(d).readUInt32BE() : Number.NaN }), response: (d) => ({ balance: Buffer.from(d).readUInt32BE(), counter: Buffer.from(d).readUInt16BE(4) }) },
    0x5c: { name: 'GET BALANCE', response: () => { throw new RangeError('unreadable'); } },
  },
};
const PURSE_AID = hex`F0 43 41 52 44 4C 01`;
const selectPurse = hex`00 A4 04 00 07 ${PURSE_AID} 00`;
const credit100 = hex`80 52 00 00 04 00000064 06`;
const ok = hex`90 00`;

describe('annotate with an applet description', () => {
  it('names the instruction and its fields: CREDIT amount 100, the answer balance and counter', () => {
    expect(annotate(credit100, hex`00000064 0001 9000`, PURSE)).toEqual(['CREDIT amount 100 (CLA 80 INS 52 P1 00 P2 00, Lc 04, Le 06)', '9000 success', '  balance 100, counter 1']);
  });

  it('keeps INS xx for instructions the applet does not name, and hex for data it cannot read', () => {
    expect(annotate(hex`80 54 00 00 04 00000064`, ok, PURSE)[0]).toBe('INS 54 (CLA 80 INS 54 P1 00 P2 00, Lc 04)');
    expect(annotate(hex`80 5C 00 00 06`, hex`00000064 0001 9000`, PURSE)).toEqual(['GET BALANCE (CLA 80 INS 5C P1 00 P2 00, Le 06)', '9000 success', '  data (6 bytes): 000000640001']);
  });

  it('leaves SELECT by name to the card, and secure-messaging data undecoded', () => {
    expect(annotate(selectPurse, ok, PURSE)[0]).toMatch(/^SELECT \(/);
    expect(annotate(hex`84 52 00 00 0C 00000064 0102030405060708`, ok, PURSE)).toEqual([
      'CREDIT (secure messaging) (CLA 84 INS 52 P1 00 P2 00, Lc 0C)',
      '  data (12 bytes, secure messaging, not decoded): 000000640102030405060708',
      '9000 success',
    ]);
  });
});

describe('createDialogueAnnotator', () => {
  const purse = { moduleAid: PURSE_AID, describe: PURSE };

  it('names the commands of the applet last selected on the channel, and only of that one', () => {
    const a = createDialogueAnnotator([purse]);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^INS 52 /); // the ISD is selected after power-on
    a.annotate(selectPurse, ok);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^CREDIT amount 100 /);
    expect(a.annotate(hex`81 52 00 00 04 00000064`, ok)[0]).toMatch(/^INS 52 /); // channel 1 has the ISD
    a.annotate(hex`00 A4 04 00 07 F0434152444501 00`, ok); // another applet
    expect(a.annotate(credit100, ok)[0]).toMatch(/^INS 52 /);
  });

  it('ignores a SELECT that failed, forgets the selection at reset and on a closed channel', () => {
    const a = createDialogueAnnotator([purse]);
    a.annotate(selectPurse, ok);
    a.annotate(hex`00 A4 04 00 05 A000000003 00`, hex`6A82`);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^CREDIT /);
    a.reset();
    expect(a.annotate(credit100, ok)[0]).toMatch(/^INS 52 /);
    a.annotate(hex`01 A4 04 00 07 ${PURSE_AID} 00`, ok);
    expect(a.annotate(hex`81 52 00 00 04 00000064`, ok)[0]).toMatch(/^CREDIT /);
    a.annotate(hex`00 70 80 01`, ok);
    expect(a.annotate(hex`81 52 00 00 04 00000064`, ok)[0]).toMatch(/^INS 52 /);
  });

  it('learns instances from INSTALL [for install] (Application AID of the class), and finds them by a partial AID', () => {
    const a = createDialogueAnnotator([purse]);
    const instance = hex`F0 43 41 52 44 4C 01 99`;
    a.annotate(hex`80 E6 0C 00 1E 06 F0434152444C 07 ${PURSE_AID} 08 ${instance} 01 00 02 C9 00 00 00`, hex`00 9000`);
    a.annotate(hex`00 A4 04 00 08 ${instance} 00`, ok);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^CREDIT /);
    a.annotate(hex`00 A4 04 00 06 F0434152444C 00`, ok);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^CREDIT /);
  });

  it('knows an instance installed out of sight by an AID that extends its class AID (encrypted INSTALL, older install)', () => {
    const a = createDialogueAnnotator([purse]);
    a.annotate(hex`00 A4 04 00 08 ${PURSE_AID} 01 00`, ok);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^CREDIT amount 100 /);
    a.annotate(hex`00 A4 04 00 07 F0434152444502 00`, ok);
    expect(a.annotate(credit100, ok)[0]).toMatch(/^INS 52 /);
  });

  it('is annotate() itself without described applets', () => {
    const a = createDialogueAnnotator([{ moduleAid: PURSE_AID }]);
    a.annotate(selectPurse, ok);
    expect(a.annotate(credit100, ok)).toEqual(annotate(credit100, ok));
  });
});
