import { fromHex, toHex } from '../protocol/bytes.ts';
import { buildComputeDigitalSignature, buildGetData, buildSelect } from '../protocol/gp/commands/index.ts';
import { parseCardResources } from '../protocol/gp/data/index.ts';
import { parseSingleTlv } from '../protocol/tlv/index.ts';
import { withTrace, type Reader, type TraceSink } from '../reader-bridge/index.ts';
import { createCardIo, type CardIo } from './card-io.ts';
import { callJson, DEFAULT_HTTP, refusal, type HttpOptions } from './http-client.ts';
import { runLocalAgent } from './local-agent.ts';
import { TerminalError, type ProvisionStep } from './terminal-error.ts';

export interface ProvisionOptions {
  reader: Reader;
  issuerUrl: string;
  providerUrl: string;
  serviceId: string;
  http?: Partial<HttpOptions>;
  /** How long S15 waits for the issuer to tell the provider about the new member (default 20 s). */
  notificationTimeoutMs?: number;
  /** Receives every card exchange (reader-bridge trace entries). */
  trace?: TraceSink;
  /** One call per finished step (the CLI prints them). */
  onProgress?: (p: StepProgress) => void;
  /** Run the flow up to and including this step only (a scenario's single S-step). */
  stopAfter?: ProvisionStep;
}

/** Thrown inside the flow when `stopAfter` is reached: the run so far counts as completed. */
class StopHere extends Error {}

export interface StepProgress {
  step: ProvisionStep;
  title: string;
  status: 'done' | 'skipped' | 'failed';
  detail: string;
  ms: number;
}

export interface ProvisionResult {
  outcome: 'completed' | 'failed';
  steps: StepProgress[];
  cardId?: string;
  orderId?: string;
  /** Response status words of the service's commands (S16). */
  serviceResponses?: string[];
  error?: { step: ProvisionStep; code: string; message: string; serverCode?: string; status?: number; sw?: string };
}

const TITLES: Record<ProvisionStep, string> = {
  S1: 'read the card-unique data',
  S2: 'read the free memory',
  S3: 'collate with the issuer',
  S4: 'list the services',
  S5: 'choose the service',
  S6: 'get the application request',
  S7: 'the card signs the request',
  S8: 'send the signed request to the issuer',
  S9: 'the issuer verifies card and request',
  S10: 'the issuer authorises the install',
  S11: 'open remote management (SERAM handshake)',
  S12: 'relay the issuer\'s orders to the card',
  S13: 'remote management ends',
  S14: 'the issuer confirms the install',
  S15: 'the provider learns of the new member',
  S16: 'start the service',
};

const tlvValue = (bytes: Uint8Array) => parseSingleTlv(bytes).value;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The cardholder's terminal: the seed's flow S1–S16 over any Reader and the global `fetch`. Reads the
 * card, collates it with the issuer, has the provider issue an application request, has the card sign
 * it, sends it to the issuer, relays the issuer's GP SERAM orders to the card, waits for the provider to
 * learn of the new member and starts the service on the card. Never throws for a refusal or a fault:
 * the result names the step, the code (and the server's own code or the card's status word).
 * An application the issuer already lists for the card is not installed twice: S6–S14 are skipped.
 */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const http: HttpOptions = { ...DEFAULT_HTTP, ...options.http };
  const reader = options.trace ? withTrace(options.reader, options.trace) : options.reader;
  const card: CardIo = createCardIo(reader);
  const result: ProvisionResult = { outcome: 'failed', steps: [] };
  let t0 = Date.now();
  const done = (step: ProvisionStep, detail: string, status: StepProgress['status'] = 'done') => {
    const p: StepProgress = { step, title: TITLES[step], status, detail, ms: Date.now() - t0 };
    result.steps.push(p);
    options.onProgress?.(p);
    t0 = Date.now();
    if (step === options.stopAfter) throw new StopHere();
  };
  const issuer = (path: string) => `${options.issuerUrl.replace(/\/$/, '')}${path}`;
  const provider = (path: string) => `${options.providerUrl.replace(/\/$/, '')}${path}`;

  try {
    // S1: card-unique data.
    try {
      await reader.powerOn();
    } catch (err) {
      throw new TerminalError('S1', 'card', `no card to power on in ${reader.name}: ${(err as Error).message}`);
    }
    const select = await card.send('S1', buildSelect());
    const selectSw = toHex(select.subarray(select.length - 2));
    if (selectSw !== '9000') throw new TerminalError('S1', 'card', `SELECT of the Issuer Security Domain answered ${selectSw}`, { sw: selectSw });
    const cplc = await card.expectOk('S1', 'GET DATA CPLC', buildGetData(0x9f7f));
    const iin = await card.expectOk('S1', 'GET DATA IIN', buildGetData(0x42));
    const cin = await card.expectOk('S1', 'GET DATA CIN', buildGetData(0x45));
    const cardId = toHex(tlvValue(cin));
    result.cardId = cardId;
    done('S1', `CIN ${cardId}, IIN ${toHex(tlvValue(iin))}`);

    // S2: free memory.
    const resources = await card.expectOk('S2', 'GET DATA FF21', buildGetData(0xff21));
    const r = parseCardResources(resources);
    done('S2', `${r.freeNonVolatileMemory} bytes of persistent memory free, ${r.installedApplications} application(s)`);

    // S3: collation.
    const collated = await callJson('S3', issuer('/cards/collate'), { body: { cplc: toHex(cplc), iin: toHex(iin), cin: toHex(cin), cardResources: toHex(resources) }, idempotent: true }, http);
    if (collated.status !== 200) throw refusal('S3', 'collation', collated);
    const installed: string[] = (collated.body?.installedApplications ?? []).map((a: { aid: string }) => a.aid);
    done('S3', `registered and ${collated.body?.status ?? 'active'}; ${installed.length} application(s) on record`);

    // S4–S5: the catalogue and the service.
    const catalogue = await callJson('S4', provider('/services'), { idempotent: true }, http);
    if (catalogue.status !== 200 || !Array.isArray(catalogue.body?.services)) throw refusal('S4', 'service catalogue', catalogue);
    done('S4', `${catalogue.body.services.length} service(s) offered`);
    const service = catalogue.body.services.find((s: { serviceId: string }) => s.serviceId === options.serviceId);
    if (!service) {
      const ids = catalogue.body.services.map((s: { serviceId: string }) => s.serviceId).join(', ');
      throw new TerminalError('S5', 'refused', `the provider offers no service '${options.serviceId}' (it offers: ${ids || 'none'})`, { serverCode: 'unknown_service' });
    }
    const alreadyInstalled = installed.includes(String(service.appletAid).toUpperCase());
    done('S5', `${service.serviceId}: package ${service.packageAid}, applet ${service.appletAid}${alreadyInstalled ? ' (already on the card)' : ''}`);

    if (alreadyInstalled) {
      for (const s of ['S6', 'S7', 'S8', 'S9', 'S10', 'S11', 'S12', 'S13', 'S14'] as const) done(s, 'the issuer already lists the application on this card', 'skipped');
    } else {
      // S6: the application request to sign.
      const selection = await callJson('S6', provider(`/services/${encodeURIComponent(options.serviceId)}/select`), { body: { cardId }, idempotent: true }, http);
      if (selection.status !== 201 && selection.status !== 200) throw refusal('S6', 'service selection', selection);
      const encoded = String(selection.body?.encodedRequest ?? '');
      if (!/^([0-9A-Fa-f]{2})+$/.test(encoded)) throw new TerminalError('S6', 'bad_answer', 'the provider answered no encodedRequest');
      done('S6', `request of ${encoded.length / 2} bytes, valid until ${selection.body?.request?.expiresAt ? new Date(selection.body.request.expiresAt * 1000).toISOString() : '?'}`);

      // S7: the card signs it; its certificate goes along.
      await card.send('S7', buildSelect());
      let signed: Uint8Array = new Uint8Array(0);
      for (const c of buildComputeDigitalSignature(fromHex(encoded))) signed = await card.send('S7', c);
      const signSw = toHex(signed.subarray(signed.length - 2));
      if (signSw !== '9000') throw new TerminalError('S7', 'card', `PERFORM SECURITY OPERATION answered ${signSw}`, { sw: signSw });
      const certificate = tlvValue(await card.expectOk('S7', 'GET DATA 7F21 (card certificate)', buildGetData(0x7f21)));
      done('S7', `signature of ${signed.length - 2} bytes, certificate of ${certificate.length} bytes`);

      // S8–S10: the issuer verifies and authorises.
      const install = await callJson(
        'S8',
        issuer('/install-requests'),
        {
          body: {
            request: encoded,
            signature: toHex(signed.subarray(0, signed.length - 2)),
            certificate: toHex(certificate),
            providerId: selection.body.providerId,
            providerAuthorisation: selection.body.providerAuthorisation,
          },
          idempotent: false,
        },
        http,
      );
      if (install.status !== 201) {
        const e = refusal('S8', 'install request', install);
        // The issuer's verification is S9; a refusal there is reported as S9.
        throw new TerminalError('S9', e.code, e.message.replace(/^S8: /, ''), e.detail);
      }
      done('S8', `accepted as order ${install.body.orderId}`);
      result.orderId = install.body.orderId;
      done('S9', 'certificate chain, card signature, freshness and replay checked');
      done('S10', `order ${install.body.orderId} ${install.body.state}`);

      // S11–S13: remote management.
      let exchanges = 0;
      const session = await runLocalAgent({
        handshakeUrl: install.body.remoteManagement.handshake,
        remoteManagementUrl: install.body.remoteManagement.remoteManagement,
        seId: cardId,
        reader,
        http: { ...http, attempts: 1 },
        onExchange: () => void exchanges++,
      });
      done('S11', 'handshake accepted');
      const verdict = session.notifications.find((n) => n.startsWith(`install/${install.body.orderId}/`)) ?? session.notifications[0];
      if (session.cardError) {
        // The card left mid-order: that is the cause to report, whatever the issuer then made of the order.
        const e = session.cardError;
        throw new TerminalError('S12', 'card', `the card in ${reader.name} stopped answering after ${exchanges - 1} of the issuer's APDUs (${e.code}: ${e.message}); the issuer ended the order${verdict ? ` (${verdict})` : ''}`);
      }
      done('S12', `${exchanges} APDU(s) relayed in ${session.reports} report(s)`);
      done('S13', `session stopped${verdict ? `: ${verdict}` : ''}`);
      if (!verdict || !verdict.includes('/confirmed')) {
        const code = verdict?.split('/failed/')[1];
        throw new TerminalError('S14', 'install_failed', `the issuer reports the install ${code ? `failed: ${code}` : 'did not complete'}`, code ? { serverCode: code } : {});
      }
      const order = await callJson('S14', issuer(`/install-orders/${install.body.orderId}`), { idempotent: true }, http);
      if (order.status !== 200) throw refusal('S14', 'order status', order);
      if (order.body?.state !== 'confirmed') throw new TerminalError('S14', 'install_failed', `order ${install.body.orderId} is ${order.body?.state}`);
      done('S14', `order ${install.body.orderId} confirmed; the issuer recorded the card's new contents`);
    }

    // S15–S16: once the provider knows the member, the service starts on the card.
    const deadline = Date.now() + (options.notificationTimeoutMs ?? 20_000);
    let start;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      start = await callJson('S15', provider(`/services/${encodeURIComponent(options.serviceId)}/start`), { body: { cardId }, idempotent: true }, http);
      if (start.status !== 409 || start.body?.error?.code !== 'not_a_member') break;
      if (Date.now() + wait > deadline) throw new TerminalError('S15', 'not_notified', `the provider still does not list this card as a member after ${options.notificationTimeoutMs ?? 20_000} ms`, { serverCode: 'not_a_member' });
      await sleep(wait);
    }
    if (start.status !== 200) throw refusal('S15', 'service start', start);
    done('S15', 'member recorded by the provider');
    const commands: string[] = start.body?.commands ?? [];
    result.serviceResponses = [];
    for (const hex of commands) {
      const answer = await card.send('S16', fromHex(hex));
      const sw = toHex(answer.subarray(answer.length - 2));
      result.serviceResponses.push(sw);
      if (sw !== '9000') throw new TerminalError('S16', 'card', `the service's command ${hex.slice(0, 10)}… answered ${sw}`, { sw });
    }
    done('S16', `service ${start.body?.state ?? 'active'}${commands.length ? `; ${commands.length} command(s) sent to the card` : ''}`);
    result.outcome = 'completed';
  } catch (err) {
    if (err instanceof StopHere) {
      result.outcome = 'completed';
      return result;
    }
    if (!(err instanceof TerminalError)) throw err;
    result.error = { step: err.step, code: err.code, message: err.message, ...err.detail };
    const p: StepProgress = { step: err.step, title: TITLES[err.step], status: 'failed', detail: err.message, ms: Date.now() - t0 };
    result.steps.push(p);
    options.onProgress?.(p);
  }
  return result;
}
