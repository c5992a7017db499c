import {
  ACKNOWLEDGE_START_ANSWER,
  ACKNOWLEDGE_START_BODY,
  START_REQUEST_ANSWER,
  START_REQUEST_BODY,
  START_SERVICE_ANSWER,
  START_SERVICE_BODY,
  type AcknowledgeStartAnswer,
  type AcknowledgeStartBody,
  type StartRequestAnswer,
  type StartRequestBody,
  type StartServiceAnswer,
  type StartServiceBody,
} from '../../../protocol/api/index.ts';
import { SW, swOf } from '../../../protocol/apdu/index.ts';
import { equalBytes, fromHex, toHex } from '../../../protocol/bytes.ts';
import type { EcCurve } from '../../../protocol/crypto/index.ts';
import { buildCreditOnce, TRANSACTION_ID_LENGTH } from '../../../protocol/loyalty/index.ts';
import { decodeStartRequest, encodeStartRequest, StartRequestError, verifyStartRequestSignature, type StartRequest } from '../../../protocol/provisioning/index.ts';
import { annotateRequestLog, badRequest, conflict, forbidden, notFound, unprocessable, type ApiRouter } from '../../http/index.ts';
import { newId } from '../../ids.ts';
import { DEFAULTS, type ProviderDeps } from '../provider-deps.ts';
import { ProviderStoreError, type ServiceRecord } from '../store/provider-store.ts';
import { serviceOf } from './services.ts';

/**
 * The commands of a member's start, fixed once: the service's own start commands, then — for a
 * service with an opening credit — CREDIT [once] with a transaction id drawn for this member, which
 * the card applies at most once however often the terminal resends it.
 */
function startCommands(deps: ProviderDeps, s: ServiceRecord): string[] {
  const commands = [...s.startCommands];
  if (s.openingCredit !== null) commands.push(toHex(buildCreditOnce(s.openingCredit, deps.random.bytes(TRANSACTION_ID_LENGTH))));
  return commands;
}

/** The start request of the body, decoded and matched with the one this provider issued, or the precise refusal. */
async function issuedRequest(deps: ProviderDeps, s: ServiceRecord, hex: string): Promise<StartRequest> {
  let request: StartRequest;
  try {
    request = decodeStartRequest(fromHex(hex));
  } catch (err) {
    if (err instanceof StartRequestError) throw badRequest('invalid_start_request', `not a start request: ${err.message}`, '/request');
    throw err;
  }
  if (request.serviceId !== s.id) throw unprocessable('start_request_mismatch', `the request starts ${request.serviceId}, not ${s.id}`, '/request');
  const issued = await deps.store.getStartRequest(toHex(request.nonce));
  if (!issued) throw notFound('unknown_start_request', 'this provider issued no start request with this nonce', '/request');
  if (!equalBytes(issued.request, fromHex(hex))) throw unprocessable('start_request_mismatch', 'the request differs from the one issued with this nonce', '/request');
  if (request.expiresAt <= Math.floor(deps.clock() / 1000)) throw forbidden('request_expired', `the start request expired at ${new Date(request.expiresAt * 1000).toISOString()}`, '/request');
  if (issued.usedAt !== null) throw conflict('request_replayed', 'this start request was used before', '/request');
  return request;
}

/**
 * S16, the service start, bound to the card and acknowledged:
 * 1. `POST /services/{id}/start-requests {cardId}` → a StartRequest (`72 { 80 45 4F 81 82 }`) with a
 *    fresh nonce and expiry, for a member only;
 * 2. the card signs it (PERFORM SECURITY OPERATION [compute digital signature], as for S7);
 * 3. `POST /services/{id}/start {request, signature}`: the signature must verify with the card key the
 *    issuer certified and sent in its notification; each start request is used once. The answer
 *    holds the start commands and a start id — the same ones, byte for byte, on every start until
 *    acknowledged; `commands: []` once active;
 * 4. `POST /services/{id}/start/ack {startId, responses}`: the card's R-APDUs, one per command, each
 *    9000; the member becomes `active` then, and only then. Acknowledging again answers alike.
 */
export function startRoutes(api: ApiRouter, deps: ProviderDeps): void {
  const lifetime = deps.startRequestLifetimeSeconds ?? DEFAULTS.startRequestLifetimeSeconds;

  api.route(
    {
      method: 'post',
      path: '/services/:serviceId/start-requests',
      operationId: 'requestServiceStart',
      summary: 'S16: the start request the card must sign (canonical bytes, tag 72), with a fresh nonce; for a member only',
      tags: ['services'],
      body: START_REQUEST_BODY,
      responses: { '201': { description: 'the start request to sign', schema: START_REQUEST_ANSWER } },
    },
    async (req, res) => {
      const s = await serviceOf(deps, String(req.params.serviceId));
      const cardId = (req.body as StartRequestBody).cardId.toUpperCase();
      const member = await deps.store.getMember(s.id, cardId);
      if (!member) throw conflict('not_a_member', `card ${cardId} is not (yet) a member of ${s.id}: the issuer has not confirmed an install`);
      const nonce = deps.random.bytes(16);
      const now = deps.clock();
      const expiresAt = Math.floor(now / 1000) + lifetime;
      const encoded = encodeStartRequest({ serviceId: s.id, cardId: fromHex(cardId), instanceAid: fromHex(s.instanceAid), nonce, expiresAt });
      await deps.store.createStartRequest({ nonce: toHex(nonce), serviceId: s.id, cardId, request: encoded, expiresAt, createdAt: now });
      const answer: StartRequestAnswer = { request: { serviceId: s.id, cardId, instanceAid: s.instanceAid, nonce: toHex(nonce), expiresAt }, encodedRequest: toHex(encoded) };
      res.status(201).json(answer);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/services/:serviceId/start',
      operationId: 'startService',
      summary: 'S16: a card-signed start; answers the start commands and the start id until acknowledged, then nothing to send',
      tags: ['services'],
      body: START_SERVICE_BODY,
      responses: { '200': { description: 'starting (commands to send and acknowledge) or active', schema: START_SERVICE_ANSWER } },
    },
    async (req, res) => {
      const s = await serviceOf(deps, String(req.params.serviceId));
      const body = req.body as StartServiceBody;
      const request = await issuedRequest(deps, s, body.request);
      const cardId = toHex(request.cardId);
      const member = await deps.store.getMember(s.id, cardId);
      if (!member) throw conflict('not_a_member', `card ${cardId} is not a member of ${s.id}`);
      if (member.curve === null || member.cardPublicKey === null) throw conflict('card_key_unknown', "the issuer's notification for this member carried no card key");
      if (!verifyStartRequestSignature(member.curve as EcCurve, fromHex(member.cardPublicKey), fromHex(body.request), fromHex(body.signature))) {
        throw forbidden('start_signature_invalid', "the signature does not verify with the card's certified key", '/signature');
      }
      let begun;
      try {
        begun = await deps.store.beginStart({ nonce: toHex(request.nonce), serviceId: s.id, cardId, at: deps.clock(), make: () => ({ id: newId(deps.random), commands: startCommands(deps, s) }) });
      } catch (err) {
        if (err instanceof ProviderStoreError && err.code === 'REPLAYED') throw conflict('request_replayed', 'this start request was used before', '/request');
        throw err;
      }
      const answer: StartServiceAnswer = begun.start
        ? { serviceId: s.id, cardId, state: 'starting', startId: begun.start.id, commands: begun.start.commands }
        : { serviceId: s.id, cardId, state: 'active', commands: [] };
      annotateRequestLog(res, { serviceId: s.id, state: answer.state, startId: answer.startId });
      res.json(answer);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/services/:serviceId/start/ack',
      operationId: 'acknowledgeServiceStart',
      summary: "S16: the card's responses to the start commands (each 9000); the member becomes active",
      tags: ['services'],
      body: ACKNOWLEDGE_START_BODY,
      responses: { '200': { description: 'active', schema: ACKNOWLEDGE_START_ANSWER } },
    },
    async (req, res) => {
      const s = await serviceOf(deps, String(req.params.serviceId));
      const body = req.body as AcknowledgeStartBody;
      const start = await deps.store.getStart(body.startId);
      if (!start || start.serviceId !== s.id) throw notFound('unknown_start', `no start ${body.startId} of ${s.id}`, '/startId');
      if (start.acknowledgedAt === null) {
        if (body.responses.length !== start.commands.length) {
          throw unprocessable('start_responses_mismatch', `${body.responses.length} response(s) to ${start.commands.length} command(s)`, '/responses');
        }
        body.responses.forEach((r, i) => {
          const bytes = fromHex(r);
          if (bytes.length < 2 || swOf(bytes) !== SW.SUCCESS) throw unprocessable('start_not_applied', `the card answered command ${i} with ${r.slice(-4)}, not 9000`, `/responses/${i}`);
        });
      }
      const acked = await deps.store.acknowledgeStart({ startId: start.id, responses: body.responses.map((r) => r.toUpperCase()), at: deps.clock() });
      annotateRequestLog(res, { serviceId: s.id, startId: start.id, ...(acked.first ? { outcome: 'active' } : {}) });
      const answer: AcknowledgeStartAnswer = { serviceId: s.id, cardId: start.cardId, startId: start.id, state: 'active' };
      res.json(answer);
    },
  );
}
