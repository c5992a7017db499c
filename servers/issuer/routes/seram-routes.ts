import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { annotateRequestLog, ApiRouter, conflict, HttpError, notFound, type JsonSchema } from '../../http/index.ts';
import { newId } from '../../ids.ts';
import {
  SERAM_VERSION,
  seramErrors,
  type RamCommand,
  type RamHandshakeCommand,
  type RamHandshakeResponse,
  type RemoteManagementOrder,
  type RemoteManagementReport,
  type SeramMessageKind,
} from '../../../protocol/seram/index.ts';
import { DEFAULTS, type IssuerDeps } from '../issuer-deps.ts';
import { apdusToHex, InstallDialogue, type DialogueStep } from '../remote/install-dialogue.ts';
import { ManagementSessions, SharedManagementSessions, type ManagementSession, type SessionBook, type StoredSession } from '../remote/management-sessions.ts';
import { StoreError, type CardRecord, type ApplicationRecord, type InstallOrderRecord } from '../store/issuer-store.ts';

const SESSION_QUERY: JsonSchema = {
  type: 'object',
  required: ['sessionId'],
  properties: { sessionId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } },
};

const FINAL = new Set(['confirmed', 'failed']);
const LOCAL_AGENT_FAILURES = new Set(['UNAVAILABLE_SE', 'UNKNOWN_FAILURE', 'UNGRANTED_ACCESS']);

/** Validates a received SERAM message (400 `invalid_seram_message` at the first error's path). */
function seramBody(kind: SeramMessageKind) {
  return (body: unknown): HttpError | undefined => {
    const errors = seramErrors(kind, body);
    if (errors.length === 0) return undefined;
    const first = errors[0]!;
    return new HttpError(400, 'invalid_seram_message', `${kind}${first.path} ${first.message}`, first.path || '/');
  };
}

/** Every message this Remote Agent sends is checked against gpseram.yaml too: a bad one is our bug. */
function checked<T>(kind: SeramMessageKind, message: T): T {
  const errors = seramErrors(kind, message);
  if (errors.length > 0) throw new Error(`outgoing ${kind} does not validate: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return message;
}

function planFor(card: CardRecord, app: ApplicationRecord, lastConfirmationCounter: number | null) {
  return {
    isdAid: fromHex(card.isdAid),
    keys: card.keys,
    sdUniqueData: fromHex(card.iin + card.cin),
    cardKey: { curve: card.curve as 'P-256' | 'brainpoolP256r1', publicKey: card.publicKey },
    loadFileAid: fromHex(app.packageAid),
    moduleAid: fromHex(app.moduleAid),
    instanceAid: fromHex(app.instanceAid),
    privileges: fromHex(app.privileges),
    applicationParameters: app.installParams,
    lfdb: app.lfdb,
    lfdbHash: app.lfdbHash,
    dapSignature: app.dapSignature,
    memoryNeeded: app.memoryNeeded,
    lastConfirmationCounter,
  };
}

/**
 * GP SERAM HTTP REST binding (gpseram.yaml `/handshake`, `/remoteManagement`, base `/gp/seram`):
 * the issuer as Remote Agent drives the card through the terminal (Local Agent) for one install
 * order per sessionId (S11–S14). Every message in and out validates against gpseram.yaml.
 */
export function seramRoutes(api: ApiRouter, deps: IssuerDeps): SessionBook {
  const idleMs = deps.sessionIdleMs ?? DEFAULTS.sessionIdleMs;
  const sessions: SessionBook = deps.sharedSessions ? new SharedManagementSessions(deps.store, idleMs, rebuild) : new ManagementSessions(idleMs);
  const tags = ['seram'];

  /** The dialogue of an order, planned from the issuer's records: new at a handshake, or continued from its state. */
  async function dialogueFor(order: InstallOrderRecord, card: CardRecord, state?: StoredSession['dialogue']): Promise<InstallDialogue> {
    const app = (await deps.store.getApplication(order.applicationId))!;
    const counters = (await deps.store.listOrders({ cardId: card.id })).map((o) => o.confirmationCounter).filter((c): c is number => c !== null);
    const options = { random: deps.random, securityLevel: deps.securityLevel ?? DEFAULTS.securityLevel };
    return new InstallDialogue(planFor(card, app, counters.length ? Math.max(...counters) : null), options, state);
  }

  /** A shared session another instance saved, as a live one here. */
  async function rebuild(sessionId: string, stored: StoredSession, lastSeen: number): Promise<ManagementSession | undefined> {
    const order = await deps.store.getOrder(stored.orderId);
    const card = order && (await deps.store.getCard(order.cardId));
    if (!order || !card) return undefined;
    const dialogue = await dialogueFor(order, card, stored.dialogue);
    return { sessionId, orderId: order.id, secureElement: stored.secureElement, dialogue, phase: stored.phase, lastOrder: stored.lastOrder, lastSeen, expiresAt: stored.expiresAt, queue: Promise.resolve() };
  }

  api.route(
    {
      method: 'post',
      path: '/gp/seram/handshake',
      operationId: 'seramHandshake',
      summary: 'S11: SERAM handshake: the Local Agent proposes, the Remote Agent chooses',
      tags,
      query: SESSION_QUERY,
      body: { $ref: '#/components/schemas/ramHandshakeCommand' },
      validateBody: seramBody('ramHandshakeCommand'),
      responses: {
        '200': { description: 'chosen protocol, format and version', schema: { $ref: '#/components/schemas/ramHandshakeResponse' } },
        '406': { description: 'no acceptable transport, format or version (`no_acceptable_proposal`)' },
      },
    },
    async (req, res) => {
      const sessionId = String(req.query.sessionId);
      const command = req.body as RamHandshakeCommand;
      const order = await deps.store.getOrderBySession(sessionId);
      if (!order) throw notFound('unknown_session', 'no remote management session with this id');
      await refuseExpired(order);
      if (order.state !== 'authorised') throw conflict('session_closed', `the order of this session is ${order.state}`);
      const offers = (list: string[] | undefined, value: string) => list === undefined || list.includes(value);
      if (!offers(command.supportedTransportProtocols, 'HTTPS') || !offers(command.supportedDataFormats, 'application/json') || !offers(command.supportedVersions, SERAM_VERSION)) {
        throw new HttpError(406, 'no_acceptable_proposal', `this Remote Agent speaks SERAM ${SERAM_VERSION}, HTTPS, application/json`);
      }
      const card = (await deps.store.getCard(order.cardId))!;
      const se = command.secureElements.find((s) => s.seId.toUpperCase() === card.cin);
      if (!se) throw conflict('secure_element_mismatch', `no secure element with seId ${card.cin} (the card's CIN) is offered`, '/secureElements');
      const dialogue = await dialogueFor(order, card);
      // A new handshake on a live session starts the dialogue over (the terminal lost its place).
      await sessions.start({ sessionId, orderId: order.id, secureElement: se, dialogue, phase: 'awaiting-start', lastOrder: undefined, lastSeen: deps.clock(), expiresAt: order.expiresAt, queue: Promise.resolve() });
      annotateRequestLog(res, { orderId: order.id });
      res.json(checked<RamHandshakeResponse>('ramHandshakeResponse', { chosenTransportProtocol: 'HTTPS', chosenDataFormat: 'application/json', chosenVersion: SERAM_VERSION }));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/gp/seram/remoteManagement',
      operationId: 'seramRemoteManagement',
      summary: 'S12–S14: the Local Agent reports (responses to the last order), the Remote Agent orders (next commands)',
      tags,
      query: SESSION_QUERY,
      body: { $ref: '#/components/schemas/remoteManagementReport' },
      validateBody: seramBody('remoteManagementReport'),
      responses: { '200': { description: 'the next order', schema: { $ref: '#/components/schemas/remoteManagementOrder' } } },
    },
    async (req, res) => {
      const sessionId = String(req.query.sessionId);
      const report = req.body as RemoteManagementReport;
      const now = deps.clock();
      const session = await sessions.get(sessionId, now);
      if (!session) {
        const order = await deps.store.getOrderBySession(sessionId);
        if (!order) throw notFound('unknown_session', 'no remote management session with this id');
        await refuseExpired(order);
        if (FINAL.has(order.state)) throw conflict('session_closed', `the order of this session is ${order.state}`);
        throw conflict('unexpected_report', 'no handshake on this session (or it timed out): POST /gp/seram/handshake first');
      }
      if (session.phase !== 'closed' && session.expiresAt <= Math.floor(now / 1000)) {
        await sessions.delete(sessionId);
        await refuseExpired((await deps.store.getOrder(session.orderId))!);
      }
      const turn = session.queue.then(async () => {
        if (session.phase === 'closed') throw conflict('session_closed', 'the Remote Agent sent its stopCommand on this session');
        const order = await onReport(session, report, now);
        // Shared sessions: another instance may have handled a report of this session meanwhile; its answer stands.
        if (!(await sessions.save(session))) throw conflict('unexpected_report', 'another report of this session was handled meanwhile: send the last report again');
        return order;
      });
      session.queue = turn.catch(() => undefined);
      res.json(checked<RemoteManagementOrder>('remoteManagementOrder', await turn));
    },
  );

  /**
   * S15 before S13 ends: the outbox attempts the provider notification at once and the stopCommand
   * waits for that attempt (bounded), so the terminal that goes on to start the service finds the
   * provider told. A provider that is down only delays the answer by the bound; the outbox retries.
   */
  async function notifyProvider(): Promise<void> {
    const attempted = deps.onNotificationQueued?.();
    if (!attempted) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deps.notificationWaitMs ?? 2000);
      timer.unref();
    });
    await Promise.race([attempted, bound]);
    clearTimeout(timer);
  }

  /**
   * An order past its expiry is refused at every step, and failed (`order_expired`) right away so it
   * frees its card and application: the card is never driven on an expired authorisation.
   */
  async function refuseExpired(order: InstallOrderRecord): Promise<void> {
    const now = deps.clock();
    if (order.expiresAt > Math.floor(now / 1000)) return;
    if (!FINAL.has(order.state)) await deps.store.expireOrders(Math.floor(now / 1000), now);
    throw conflict('order_expired', `the order expired at ${new Date(order.expiresAt * 1000).toISOString()}; ask for a new one`);
  }

  async function onReport(session: ManagementSession, report: RemoteManagementReport, now: number): Promise<RemoteManagementOrder> {
    const status = report.localAgentStatus.localAgentStatusEnum;
    if (LOCAL_AGENT_FAILURES.has(status)) {
      const detail = `Local Agent reported ${status}${report.localAgentStatus.errorMsg ? `: ${report.localAgentStatus.errorMsg.slice(0, 200)}` : ''}`;
      return finish(session, { kind: 'failed', code: 'local_agent_error', detail, delivered: false }, now);
    }
    if (session.phase === 'awaiting-start') {
      const step = session.dialogue.start();
      if (step.kind !== 'send') throw new Error('dialogue did not start with commands');
      const order: RemoteManagementOrder = {
        delay: 0,
        chosenSecureElement: session.secureElement,
        ramCommands: [{ ramCommandType: 'startCommand' }, { ramCommandType: 'seRamCommand', listOfCAPDU: apdusToHex(step.capdus) }],
      };
      session.phase = 'awaiting-responses';
      session.lastOrder = order;
      return order;
    }
    const response = report.ramResponses?.find((r) => r.ramResponseType === 'seRamResponse');
    // A poll instead of an answer: the Local Agent did not run the last order; send it again.
    if (!response) return session.lastOrder as RemoteManagementOrder;
    const rapdus = response.listOfRAPDU.map((h) => (h === '' ? undefined : fromHex(h)));
    const step = session.dialogue.next(rapdus);
    if (step.kind === 'send') {
      const order: RemoteManagementOrder = { delay: 0, ramCommands: [{ ramCommandType: 'seRamCommand', listOfCAPDU: apdusToHex(step.capdus) }] };
      session.lastOrder = order;
      return order;
    }
    return finish(session, step, now);
  }

  /** Records the outcome (S14, and the S15 outbox row in the same transaction) and closes the session. */
  async function finish(session: ManagementSession, step: Exclude<DialogueStep, { kind: 'send' }>, now: number): Promise<RemoteManagementOrder> {
    session.phase = 'closed';
    const order = (await deps.store.getOrder(session.orderId))!;
    let outcome: string;
    if (step.kind === 'confirmed') {
      try {
        await confirm(order, step, now);
        outcome = 'confirmed';
        deps.logger.debug({ orderId: order.id, counter: step.confirmation.counter }, 'install confirmed');
        await notifyProvider();
      } catch (err) {
        // The order left `authorised` while the card worked (it expired): it stays as it ended, the
        // terminal is told so, and the card's install is removed by the next order's DELETE of leftovers.
        if (!(err instanceof StoreError) || err.code !== 'STATE_CONFLICT') throw err;
        const ended = (await deps.store.getOrder(order.id))!;
        outcome = `failed/${ended.failureCode ?? 'state_conflict'}`;
        deps.logger.warn({ orderId: order.id, state: ended.state }, 'install confirmed by the card after the order ended');
      }
    } else {
      if (!FINAL.has(order.state)) {
        if (step.delivered && order.state === 'authorised') await deps.store.transitionOrder(order.id, 'authorised', 'delivered', 'the card accepted every command', now);
        const r = step.resources;
        await deps.store.failOrder(order.id, step.code, step.detail, now, r && { freeNvm: r.freeNonVolatileMemory, freeVm: r.freeVolatileMemory, installedCount: r.installedApplications });
      }
      outcome = `failed/${step.code}`;
      deps.logger.warn({ orderId: order.id, code: step.code }, 'install failed');
    }
    await sessions.delete(session.sessionId);
    const commands: RamCommand[] = [
      { ramCommandType: 'notificationCommand', deviceAppNotification: `install/${order.id}/${outcome}` },
      { ramCommandType: 'stopCommand' },
    ];
    return { delay: 0, ramCommands: commands };
  }

  async function confirm(order: InstallOrderRecord, step: Extract<DialogueStep, { kind: 'confirmed' }>, now: number): Promise<void> {
    const card = (await deps.store.getCard(order.cardId))!;
    const app = (await deps.store.getApplication(order.applicationId))!;
    const notificationId = newId(deps.random);
    // An earlier confirmed order for this application whose contents the issuer no longer lists: the
    // application was deleted from the card and this order installs it again.
    const contents = await deps.store.listCardContents(card.id);
    const replaced = (await deps.store.listOrders({ cardId: card.id, state: 'confirmed' }))
      .filter((o) => o.applicationId === app.id && o.id !== order.id && !contents.some((c) => c.orderId === o.id))
      .at(-1);
    const body = JSON.stringify({
      notificationId,
      event: 'application.installed',
      orderId: order.id,
      providerId: order.providerId,
      serviceId: order.serviceId,
      nonce: order.nonce,
      cardId: card.cin,
      // The card's certified key: the provider verifies the card's own signature on a service start with it.
      curve: card.curve,
      cardPublicKey: toHex(card.publicKey),
      packageAid: app.packageAid,
      instanceAid: app.instanceAid,
      confirmationCounter: step.confirmation.counter,
      installedAt: new Date(now).toISOString(),
      ...(replaced ? { replacesOrderId: replaced.id } : {}),
    });
    await deps.store.confirmInstall({
      orderId: order.id,
      at: now,
      deliveredDetail: 'the card accepted INSTALL [for load], LOAD and INSTALL [for install]',
      confirmation: step.confirmationBytes,
      confirmationCounter: step.confirmation.counter,
      contents: [
        { aid: app.packageAid, kind: 'load_file', loadFileAid: null },
        { aid: app.instanceAid, kind: 'application', loadFileAid: app.packageAid },
      ],
      resources: { freeNvm: step.resources.freeNonVolatileMemory, freeVm: step.resources.freeVolatileMemory, installedCount: step.resources.installedApplications },
      notification: { id: notificationId, providerId: order.providerId, body },
    });
  }

  return sessions;
}
