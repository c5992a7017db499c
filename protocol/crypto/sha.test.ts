import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.ts';
import { sha1, sha256, sha384, sha512 } from './sha.ts';

const ABC = new TextEncoder().encode('abc');

describe('sha', () => {
  it('hashes "abc" as in the FIPS 180-4 examples', () => {
    expect(toHex(sha1(ABC))).toBe('A9993E364706816ABA3E25717850C26C9CD0D89D');
    expect(toHex(sha256(ABC))).toBe('BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD');
    expect(toHex(sha384(ABC)).slice(0, 32)).toBe('CB00753F45A35E8BB5A03D699AC65007');
    expect(toHex(sha512(ABC)).slice(0, 32)).toBe('DDAF35A193617ABACC417349AE204131');
  });
});
