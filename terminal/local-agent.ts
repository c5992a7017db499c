import { fromHex, toHex } from '../protocol/bytes.ts';
import { seramErrors, SERAM_VERSION, type RamHandshakeCommand, type RemoteManagementOrder, type RemoteManagementReport, type SeramMessageKind } from '../protocol/seram/index.ts';
import { ReaderError, type Reader } from '../reader-bridge/index.ts';
import { callJson, refusal, type HttpOptions } from './http-client.ts';
import { TerminalError } from './terminal-error.ts';

export interface LocalAgentOptions {
  handshakeUrl: string;
  remoteManagementUrl: string;
  /** The card's identity for the issuer: its CIN in hex. */
  seId: string;
  reader: Reader;
  http: HttpOptions;
  /** A Remote Agent that never stops is an error, not a hang. */
  maxReports?: number;
  onExchange?: (capdu: Uint8Array, rapdu: Uint8Array | undefined) => void;
}

export interface LocalAgentResult {
  /** The `notificationCommand`s received (`install/<orderId>/confirmed` or `…/failed/<code>`). */
  notifications: string[];
  exchanges: number;
  reports: number;
  /** Why the card stopped answering (removed, power lost), if it did: the report then said UNAVAILABLE_SE. */
  cardError?: ReaderError;
}

function check(kind: SeramMessageKind, message: unknown, step: 'S11' | 'S12' | 'S13', from: string): void {
  const errors = seramErrors(kind, message);
  if (errors.length) throw new TerminalError(step, 'bad_answer', `${from} is not a valid SERAM ${kind}: ${errors[0]!.path} ${errors[0]!.message}`);
}

/**
 * The GP SERAM Local Agent (HTTP REST binding, gpseram.yaml): handshakes for the card (S11), then
 * reports and executes the Remote Agent's orders — each `seRamCommand`'s C-APDUs sent to the card in
 * order, the R-APDUs returned in the next report (S12) — until its `stopCommand` (S13). Every message it
 * sends and receives is validated against the schema. A card that stops answering makes the rest of
 * that command's responses empty strings, as SERAM prescribes, and the report UNAVAILABLE_SE.
 */
export async function runLocalAgent(o: LocalAgentOptions): Promise<LocalAgentResult> {
  const result: LocalAgentResult = { notifications: [], exchanges: 0, reports: 0 };
  const handshake: RamHandshakeCommand = {
    secureElements: [{ seType: 'eSE', seId: o.seId }],
    supportedTransportProtocols: ['HTTPS'],
    supportedDataFormats: ['application/json'],
    supportedVersions: [SERAM_VERSION],
  };
  check('ramHandshakeCommand', handshake, 'S11', 'the terminal');
  const hs = await callJson('S11', o.handshakeUrl, { body: handshake, idempotent: false }, o.http);
  if (hs.status !== 200) throw refusal('S11', 'SERAM handshake', hs);
  check('ramHandshakeResponse', hs.body, 'S11', 'the issuer');

  let report: RemoteManagementReport = { localAgentStatus: { localAgentStatusEnum: 'POLLING', executedSeRamCommands: 0 } };
  for (let i = 0; i < (o.maxReports ?? 50); i++) {
    check('remoteManagementReport', report, 'S12', 'the terminal');
    const answer = await callJson('S12', o.remoteManagementUrl, { body: report, idempotent: false }, o.http);
    result.reports++;
    if (answer.status !== 200) throw refusal('S12', 'SERAM remote management', answer);
    check('remoteManagementOrder', answer.body, 'S12', 'the issuer');
    const order = answer.body as RemoteManagementOrder;
    const responses: Array<{ ramResponseType: 'seRamResponse'; listOfRAPDU: string[] }> = [];
    let unavailable = false;
    for (const command of order.ramCommands ?? []) {
      if (command.ramCommandType === 'seRamCommand') {
        const rapdus: string[] = [];
        for (const hex of command.listOfCAPDU) {
          if (unavailable) {
            rapdus.push('');
            continue;
          }
          const capdu = fromHex(hex);
          try {
            const rapdu = await o.reader.transmit(capdu);
            result.exchanges++;
            o.onExchange?.(capdu, rapdu);
            rapdus.push(toHex(rapdu));
          } catch (err) {
            if (!(err instanceof ReaderError)) throw err;
            result.cardError ??= err;
            o.onExchange?.(capdu, undefined);
            unavailable = true;
            rapdus.push('');
          }
        }
        responses.push({ ramResponseType: 'seRamResponse', listOfRAPDU: rapdus });
      } else if (command.ramCommandType === 'notificationCommand') result.notifications.push(command.deviceAppNotification);
      else if (command.ramCommandType === 'stopCommand') return result;
    }
    if (order.delay && order.delay > 0 && responses.length === 0) await new Promise((r) => setTimeout(r, Math.min(order.delay! * 1000, 5000)));
    report =
      responses.length > 0
        ? { localAgentStatus: { localAgentStatusEnum: unavailable ? 'UNAVAILABLE_SE' : 'PROCESSED', executedSeRamCommands: responses.length }, ramResponses: responses }
        : { localAgentStatus: { localAgentStatusEnum: 'POLLING', executedSeRamCommands: 0 } };
  }
  throw new TerminalError('S13', 'bad_answer', `the issuer did not stop the SERAM session after ${o.maxReports ?? 50} reports`);
}
