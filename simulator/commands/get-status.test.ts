import { describe, it, expect } from 'vitest';
import { hex, toHex } from '../../protocol/bytes.ts';
import { buildCommandApdu, INS } from '../../protocol/apdu/index.ts';
import { buildGetStatus } from '../../protocol/gp/commands/index.ts';
import { createCard } from '../index.ts';
import { authenticate } from '../../test/support/card-host.ts';

function getStatus(p1: number, criteria: Uint8Array): Uint8Array {
  return buildCommandApdu({ cla: 0x80, ins: INS.GET_STATUS, p1, p2: 0x02, data: criteria, ne: 256 });
}

function session() {
  const card = createCard({ seed: 3 });
  card.powerOn();
  return authenticate(card, 0x01).send;
}

describe('GET STATUS search criteria (GPCS 11.4.2.3)', () => {
  it('ignores search criteria it does not support (9F70, C5 beside 4F) and answers as for 4F alone', () => {
    const send = session();
    const plain = toHex(send(buildGetStatus({ subset: 0x20 })));
    expect(plain.slice(-4)).toBe('9000');
    expect(toHex(send(getStatus(0x20, hex`4F 00 9F 70 01 01`)))).toBe(plain);
    expect(toHex(send(getStatus(0x20, hex`C5 03 00 00 00 4F 00`)))).toBe(plain);
    expect(toHex(send(getStatus(0x80, hex`4F 00 9F 70 01 0F`))).slice(-4)).toBe('9000');
  });

  it('still refuses a malformed data field (6A80): not BER-TLV, or without 4F', () => {
    const send = session();
    expect(toHex(send(getStatus(0x20, hex`4F 00 9F 70 05 01`)))).toBe('6A80');
    expect(toHex(send(getStatus(0x20, hex`9F 70 01 01`)))).toBe('6A80');
  });
});
