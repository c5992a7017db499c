import { describe, expect, it } from 'vitest';
import { INS, commandName } from './ins.ts';

describe('commandName', () => {
  it('prints the GP display names of the card-management commands', () => {
    expect(commandName(0x00, INS.SELECT, 0x04, 0x00)).toBe('SELECT');
    expect(commandName(0x80, INS.GET_DATA, 0x9f, 0x7f)).toBe('GET DATA');
    expect(commandName(0x80, INS.GET_STATUS, 0x80, 0x02)).toBe('GET STATUS');
    expect(commandName(0x80, INS.INITIALIZE_UPDATE, 0x30, 0x00)).toBe('INITIALIZE UPDATE');
    expect(commandName(0x84, INS.EXTERNAL_AUTHENTICATE, 0x03, 0x00)).toBe('EXTERNAL AUTHENTICATE');
    expect(commandName(0x00, INS.GET_RESPONSE, 0, 0)).toBe('GET RESPONSE');
    expect(commandName(0x80, INS.LOAD, 0x80, 0x01)).toBe('LOAD');
    expect(commandName(0x80, INS.DELETE, 0x00, 0x80)).toBe('DELETE');
    expect(commandName(0x80, INS.SET_STATUS, 0x40, 0x80)).toBe('SET STATUS');
    expect(commandName(0x80, INS.PUT_KEY, 0x00, 0x81)).toBe('PUT KEY');
    expect(commandName(0x80, INS.STORE_DATA, 0x80, 0x00)).toBe('STORE DATA');
    expect(commandName(0x00, INS.MANAGE_CHANNEL, 0x00, 0x00)).toBe('MANAGE CHANNEL');
  });

  it('names each INSTALL role from P1, ignoring the chaining bit b8', () => {
    const roles: Array<[number, string]> = [
      [0x02, 'INSTALL [for load]'],
      [0x04, 'INSTALL [for install]'],
      [0x08, 'INSTALL [for make selectable]'],
      [0x0c, 'INSTALL [for install and make selectable]'],
      [0x0e, 'INSTALL [for load, install and make selectable]'],
      [0x10, 'INSTALL [for extradition]'],
      [0x20, 'INSTALL [for personalization]'],
      [0x40, 'INSTALL [for registry update]'],
    ];
    for (const [p1, name] of roles) {
      expect(commandName(0x80, INS.INSTALL, p1, 0x00)).toBe(name);
      expect(commandName(0x84, INS.INSTALL, p1 | 0x80, 0x00)).toBe(name);
    }
  });

  it('names PERFORM SECURITY OPERATION by its P1-P2 operation', () => {
    expect(commandName(0x00, INS.PERFORM_SECURITY_OPERATION, 0x9e, 0x9a)).toBe('PERFORM SECURITY OPERATION [compute digital signature]');
    expect(commandName(0x00, INS.PERFORM_SECURITY_OPERATION, 0x12, 0x34)).toBe('PERFORM SECURITY OPERATION');
  });

  it('gives secure-messaging and further-channel classes the same names', () => {
    expect(commandName(0x84, INS.GET_STATUS, 0x80, 0x02)).toBe('GET STATUS');
    expect(commandName(0xe1, INS.DELETE, 0x00, 0x00)).toBe('DELETE');
  });

  it("falls back to 'INS xx' for unknown instructions", () => {
    expect(commandName(0x80, 0x99, 0, 0)).toBe('INS 99');
    expect(commandName(0x80, 0x0a, 0, 0)).toBe('INS 0A');
  });
});
