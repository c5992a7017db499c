import { describe, expect, it } from 'vitest';
import { hex } from '../bytes.ts';
import { TAG, tagHex, tagName } from './tags.ts';
import { keyInformationNote, oidNote, privilegeNames, valueNote } from './value-notes.ts';

describe('tag registry', () => {
  it('names the GP data objects', () => {
    expect(tagName(TAG.CPLC)).toBe('CPLC');
    expect(tagName(0x66)).toBe('Card Data');
    expect(tagName(0xe3)).toBe('GP registry entry');
    expect(tagName(0xff21)).toBe('Extended Card Resources Information');
    expect(tagName(0x9f65)).toBe('max length of command data field');
  });

  it('reads 81/82/83 in the context of FF21 and C4 in the context of E3', () => {
    expect(tagName(0x81, 0xff21)).toBe('number of installed applications');
    expect(tagName(0x82, 0xff21)).toBe('free non-volatile memory');
    expect(tagName(0x83, 0xff21)).toBe('free volatile memory');
    expect(tagName(0xc4, 0xe3)).toBe('Executable Load File AID');
    expect(tagName(0xc4)).toBe('Load File Data Block');
    expect(tagName(0x81, 0x67)).toBe('privileges assignable to SSDs');
  });

  it('falls back to the general name under an unrelated parent, undefined when unknown', () => {
    expect(tagName(0x4f, 0xe3)).toBe('AID');
    expect(tagName(0xdf7e)).toBeUndefined();
  });

  it('prints tags as the spec does', () => {
    expect([0x4f, 0x9f7f, 0xff21, 0x05].map(tagHex)).toEqual(['4F', '9F7F', 'FF21', '05']);
  });
});

describe('value notes', () => {
  it('names the privileges of a typical ISD, 9EFE80 (GPCS 11.1.2)', () => {
    expect(privilegeNames(hex`9EFE80`)).toEqual([
      'Security Domain', 'Card Lock', 'Card Terminate', 'Card Reset', 'CVM Management', 'Trusted Path', 'Authorized Management',
      'Token Verification', 'Global Delete', 'Global Lock', 'Global Registry', 'Final Application', 'Receipt Generation',
    ]);
    expect(privilegeNames(hex`C1`)).toEqual(['Security Domain', 'Mandated DAP Verification']);
    expect(privilegeNames(hex`A00000`)).toEqual(['Security Domain', 'Delegated Management']);
  });

  it('reads FF21 counts in decimal', () => {
    expect(valueNote(0x82, 0xff21, hex`00016DB4`)).toBe('93620 bytes');
    expect(valueNote(0x81, 0xff21, hex`0002`)).toBe('2');
    expect(valueNote(0x81, undefined, hex`0002`)).toBeUndefined();
  });

  it('reads basic-format key information and leaves the extended format to hex', () => {
    expect(keyInformationNote(hex`01308810`)).toBe('key 01 KVN 30: AES 16 bytes');
    expect(keyInformationNote(hex`0173FFA10080A0000301840100`)).toBeUndefined();
  });

  it('decodes base-128 OID arcs', () => {
    expect(oidNote(hex`2A864886FC6B040370`)).toBe('1.2.840.114283.4.3.112');
    expect(oidNote(hex`2A86`)).toBeUndefined();
  });
});
