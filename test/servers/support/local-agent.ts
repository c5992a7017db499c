import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { seramErrors, type RamHandshakeCommand, type RemoteManagementOrder, type RemoteManagementReport, type SeramMessageKind } from '../../../servers/index.ts';

/** Every SERAM message of a session, in order, with its kind: the tests validate each against gpseram.yaml. */
export interface SeramLogEntry {
  kind: SeramMessageKind;
  message: unknown;
}

export interface LocalAgentResult {
  log: SeramLogEntry[];
  notifications: string[];
  /** Every C-APDU sent to the card and its R-APDU (hex), in order. */
  exchanges: Array<{ capdu: string; rapdu: string }>;
  stopped: boolean;
  /** Non-200 answer that ended the session early, if any. */
  error?: { status: number; body: unknown };
}

export interface LocalAgentOptions {
  handshakeUrl: string;
  remoteManagementUrl: string;
  seId: string;
  transmit: (capdu: Uint8Array) => Uint8Array;
  /** Changes an R-APDU on its way back (fault injection between card and issuer). */
  tamper?: (capdu: Uint8Array, rapdu: Uint8Array) => Uint8Array;
  /** Bounded: a Remote Agent that never stops fails the test rather than hanging it. */
  maxReports?: number;
}

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * A GP SERAM Local Agent for tests: the in-process relay between the issuer (Remote Agent) and the
 * simulated card. It handshakes, then reports and executes orders until the stopCommand, logging
 * every message both ways.
 */
export async function runLocalAgent(o: LocalAgentOptions): Promise<LocalAgentResult> {
  const result: LocalAgentResult = { log: [], notifications: [], exchanges: [], stopped: false };
  const handshake: RamHandshakeCommand = {
    secureElements: [{ seType: 'eSE', seId: o.seId }],
    supportedTransportProtocols: ['HTTPS'],
    supportedDataFormats: ['application/json'],
    supportedVersions: ['2.0.0'],
  };
  result.log.push({ kind: 'ramHandshakeCommand', message: handshake });
  const hs = await post(o.handshakeUrl, handshake);
  if (hs.status !== 200) return { ...result, error: hs };
  result.log.push({ kind: 'ramHandshakeResponse', message: hs.body });

  let report: RemoteManagementReport = { localAgentStatus: { localAgentStatusEnum: 'POLLING', executedSeRamCommands: 0 } };
  for (let i = 0; i < (o.maxReports ?? 20); i++) {
    result.log.push({ kind: 'remoteManagementReport', message: report });
    const r = await post(o.remoteManagementUrl, report);
    if (r.status !== 200) return { ...result, error: r };
    const order = r.body as RemoteManagementOrder;
    result.log.push({ kind: 'remoteManagementOrder', message: order });
    const responses: Array<{ ramResponseType: 'seRamResponse'; listOfRAPDU: string[] }> = [];
    for (const command of order.ramCommands ?? []) {
      if (command.ramCommandType === 'seRamCommand') {
        const rapdus = command.listOfCAPDU.map((hex) => {
          const capdu = fromHex(hex);
          let rapdu = o.transmit(capdu);
          if (o.tamper) rapdu = o.tamper(capdu, rapdu);
          result.exchanges.push({ capdu: hex, rapdu: toHex(rapdu) });
          return toHex(rapdu);
        });
        responses.push({ ramResponseType: 'seRamResponse', listOfRAPDU: rapdus });
      } else if (command.ramCommandType === 'notificationCommand') result.notifications.push(command.deviceAppNotification);
      else if (command.ramCommandType === 'stopCommand') {
        result.stopped = true;
        return result;
      }
    }
    report =
      responses.length > 0
        ? { localAgentStatus: { localAgentStatusEnum: 'PROCESSED', executedSeRamCommands: responses.length }, ramResponses: responses }
        : { localAgentStatus: { localAgentStatusEnum: 'POLLING', executedSeRamCommands: 0 } };
  }
  throw new Error('the Remote Agent did not stop the session');
}

/** The schema errors of every logged message (expected: none). */
export function seramLogErrors(log: SeramLogEntry[]): string[] {
  return log.flatMap((e, i) => seramErrors(e.kind, e.message).map((err) => `#${i} ${e.kind}${err.path}: ${err.message}`));
}
