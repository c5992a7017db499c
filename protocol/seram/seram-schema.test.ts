import { readFileSync } from 'node:fs';
import { Validator } from 'jsonschema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GPSERAM_YAML_URL, loadSeramSchemas, seramErrors, type SeramMessageKind } from './index.ts';
import { strictOpenApiSchema } from './seram-schema.ts';

const doc = parse(readFileSync(GPSERAM_YAML_URL, 'utf8')) as { components: { examples: Record<string, { value: unknown }>; schemas: Record<string, { required?: string[] }> } };
const example = (name: string) => doc.components.examples[name]!.value;

describe('GP SERAM message validation (gpseram.yaml, erratum corrected)', () => {
  it('is the reference copy of gpseram.yaml, byte for byte, when the reference is at hand', () => {
    let reference: string | undefined;
    try {
      reference = readFileSync(new URL('../../../shared/reference/gp-seram/gpseram.yaml', import.meta.url), 'utf8');
    } catch {
      return; // a clone without ../shared: nothing to compare
    }
    expect(readFileSync(GPSERAM_YAML_URL, 'utf8')).toBe(reference);
  });

  it('corrects the erratum: ramHandshakeResponse requires chosenDataFormat, not chosenDataProtocol', () => {
    expect(doc.components.schemas.ramHandshakeResponse!.required).toContain('chosenDataProtocol');
    expect(loadSeramSchemas().ramHandshakeResponse!.required).toEqual(['chosenDataFormat', 'chosenTransportProtocol', 'chosenVersion']);
    expect(seramErrors('ramHandshakeResponse', example('handshakeResponse'))).toEqual([]);
    expect(seramErrors('ramHandshakeResponse', { chosenTransportProtocol: 'HTTPS', chosenVersion: '2.0.0' })).toEqual([
      expect.objectContaining({ path: '/chosenDataFormat' }),
    ]);
  });

  it.each<[string, SeramMessageKind]>([
    ['handshakeRequest', 'ramHandshakeCommand'],
    ['remoteManagementPolling', 'remoteManagementReport'],
    ['apdusRemoteManagement', 'remoteManagementReport'],
    ['withoutCommandOrder', 'remoteManagementOrder'],
    ['startCommandOrder', 'remoteManagementOrder'],
    ['notificationCommandOrder', 'remoteManagementOrder'],
    ['stopCommandOrder', 'remoteManagementOrder'],
  ])('accepts the yaml example %s as a %s', (name, kind) => {
    expect(seramErrors(kind, example(name))).toEqual([]);
  });

  it('refuses the yaml examples whose APDU is not hex (the letter O in 00A40400OA…), which the unanchored pattern lets through', () => {
    expect(seramErrors('remoteManagementOrder', example('seRamCommandOrder'))).toEqual([expect.objectContaining({ path: '/ramCommands/0/listOfCAPDU/0' })]);
    expect(seramErrors('remoteManagementOrder', example('allCommandsOrder'))).toEqual([expect.objectContaining({ path: '/ramCommands/1/listOfCAPDU/0' })]);
  });

  it('checks each command against the schema its discriminator names', () => {
    expect(seramErrors('remoteManagementOrder', { ramCommands: [{ ramCommandType: 'seRamCommand' }] })).toEqual([expect.objectContaining({ path: '/ramCommands/0/listOfCAPDU' })]);
    expect(seramErrors('remoteManagementOrder', { ramCommands: [{ ramCommandType: 'notificationCommand' }] })).toEqual([
      expect.objectContaining({ path: '/ramCommands/0/deviceAppNotification' }),
    ]);
    expect(seramErrors('remoteManagementOrder', { ramCommands: [{ ramCommandType: 'launchRockets' }] })).toEqual([expect.objectContaining({ path: '/ramCommands/0/ramCommandType' })]);
    expect(seramErrors('remoteManagementOrder', { ramCommands: [{ ramCommandType: 'ramStopCommand' }] })).toEqual([]);
  });

  it('refuses reports without a status, with an unknown status or a lower-case APDU', () => {
    expect(seramErrors('remoteManagementReport', {})).toEqual([expect.objectContaining({ path: '/localAgentStatus' })]);
    expect(seramErrors('remoteManagementReport', { localAgentStatus: { localAgentStatusEnum: 'BUSY' } })).toEqual([
      expect.objectContaining({ path: '/localAgentStatus/localAgentStatusEnum' }),
    ]);
    expect(
      seramErrors('remoteManagementReport', { localAgentStatus: { localAgentStatusEnum: 'PROCESSED' }, ramResponses: [{ ramResponseType: 'seRamResponse', listOfRAPDU: ['6a82'] }] }),
    ).toEqual([expect.objectContaining({ path: '/ramResponses/0/listOfRAPDU/0' })]);
  });

  it('would refuse every conforming handshake response with the uncorrected schema (why the erratum matters)', () => {
    const schemas = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/definitions/'));
    const result = new Validator().validate(example('handshakeResponse'), { definitions: schemas, $ref: '#/definitions/ramHandshakeResponse' });
    expect(result.valid).toBe(false);
  });

  it('refuses null, a number, a string, a boolean or an array where a message needs an object (OpenAPI: null only where nullable)', () => {
    for (const bad of [null, 5, 'x', true, []]) {
      expect(seramErrors('remoteManagementReport', { localAgentStatus: bad })).toEqual([expect.objectContaining({ path: '/localAgentStatus' })]);
      expect(seramErrors('remoteManagementReport', { localAgentStatus: { localAgentStatusEnum: 'PROCESSED' }, ramResponses: [bad] })).toEqual([
        expect.objectContaining({ path: '/ramResponses/0' }),
      ]);
      expect(seramErrors('remoteManagementOrder', { ramCommands: [bad] })).toEqual([expect.objectContaining({ path: '/ramCommands/0' })]);
      expect(seramErrors('ramHandshakeResponse', bad)).not.toEqual([]);
      expect(seramErrors('remoteManagementReport', bad)).not.toEqual([]);
    }
  });

  it('reads nullable: true as admitting null, and only there', () => {
    expect(strictOpenApiSchema({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'], nullable: true });
    expect(strictOpenApiSchema({ properties: { a: { required: ['x'] } } })).toEqual({ type: 'object', properties: { a: { type: 'object', required: ['x'] } } });
    expect(strictOpenApiSchema({ type: 'object', properties: { properties: { type: 'string' } } })).toEqual({ type: 'object', properties: { properties: { type: 'string' } } });
  });
});
