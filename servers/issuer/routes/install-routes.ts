import { timingSafeEqual } from 'node:crypto';
import { equalBytes, fromHex, toHex } from '../../../protocol/bytes.ts';
import { PkiError, verifyCardCertificate } from '../../../protocol/pki/index.ts';
import { ApplicationRequestError, decodeApplicationRequest, verifyApplicationRequestSignature, type ApplicationRequest } from '../../../protocol/provisioning/index.ts';
import { parseSingleTlv } from '../../../protocol/tlv/index.ts';
import { INSTALL_REQUEST_ANSWER, INSTALL_REQUEST_BODY, ORDER_ANSWER, ORDER_QUERY, type InstallRequestAnswer, type InstallRequestBody, type OrderAnswer, type OrderOpenAnswer } from '../../../protocol/api/index.ts';
import { annotateRequestLog, ApiRouter, badRequest, conflict, forbidden, HttpError, labelledMac, macEquals, notFound, REQUEST_AUTHORISATION_LABEL } from '../../http/index.ts';
import { newId } from '../../ids.ts';
import { DEFAULTS, type IssuerDeps } from '../issuer-deps.ts';
import { StoreError } from '../store/issuer-store.ts';

const OPEN_STATES = new Set(['requested', 'authorised', 'delivered']);

/** Compares two secrets in constant time. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The certificate DER, unwrapped from `7F21 L …` when the terminal sent the GET DATA answer as is. */
function certificateDer(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes[0] === 0x7f && bytes[1] === 0x21) {
    try {
      return parseSingleTlv(bytes).value;
    } catch {
      // fall through: verification refuses it
    }
  }
  return bytes;
}

function certificateRefusal(err: PkiError): HttpError {
  switch (err.code) {
    case 'WRONG_ISSUER':
    case 'BAD_SIGNATURE':
      return forbidden('certificate_untrusted', `the card certificate does not chain to this issuer's CA: ${err.message}`, '/certificate');
    case 'EXPIRED':
    case 'NOT_YET_VALID':
      return forbidden('certificate_expired', `the card certificate is not valid now: ${err.message}`, '/certificate');
    default:
      return badRequest('certificate_invalid', `the card certificate is unusable: ${err.message}`, '/certificate');
  }
}

/** S10's answer: the order and the GP SERAM endpoints of its session. */
function authorisedAnswer(req: { protocol: string; get(name: string): string | undefined }, orderId: string, sessionId: string, expiresAt: number): InstallRequestAnswer {
  const base = `${baseUrl(req)}/gp/seram`;
  return {
    orderId,
    state: 'authorised',
    sessionId,
    expiresAt,
    remoteManagement: { handshake: `${base}/handshake?sessionId=${sessionId}`, remoteManagement: `${base}/remoteManagement?sessionId=${sessionId}` },
  };
}

/** Base URL of this issuer as the client reached it (for the SERAM endpoints it is sent to). */
function baseUrl(req: { protocol: string; get(name: string): string | undefined }): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * Install request (S8–S10): the card-signed application request with the card certificate. In
 * this order the issuer checks the request encoding, the certificate chain to its CA, that the
 * certificate is the registered, collated, active card's, that the request names that card and
 * was signed by its key, that the provider authorised it (so the nonce is the provider's), its
 * expiry, the application and the card's room for it, and that the nonce was never used — then
 * writes the order (`requested` → `authorised`) with a SERAM session id, or nothing at all.
 */
export function installRoutes(api: ApiRouter, deps: IssuerDeps): void {
  const maxLifetime = deps.maxRequestLifetimeSeconds ?? DEFAULTS.maxRequestLifetimeSeconds;

  api.route(
    {
      method: 'post',
      path: '/install-requests',
      operationId: 'requestInstall',
      summary: 'S8–S10: verify a card-signed application request and authorise the install',
      tags: ['install'],
      body: INSTALL_REQUEST_BODY,
      responses: {
        '201': { description: 'authorised: run SERAM remote management with this sessionId', schema: INSTALL_REQUEST_ANSWER },
        '200': { description: 'the same request again (its answer was lost): the same order, still authorised', schema: INSTALL_REQUEST_ANSWER },
      },
    },
    async (req, res) => {
      const body = req.body as InstallRequestBody;
      const encoded = fromHex(body.request);
      let request: ApplicationRequest;
      try {
        request = decodeApplicationRequest(encoded);
      } catch (err) {
        if (err instanceof ApplicationRequestError) throw badRequest('invalid_request_encoding', err.message, '/request');
        throw err;
      }

      const now = deps.clock();
      let certified;
      try {
        certified = await verifyCardCertificate(deps.keys.ca.certificate, certificateDer(body.certificate), new Date(now));
      } catch (err) {
        if (err instanceof PkiError) throw certificateRefusal(err);
        throw err;
      }

      const cin = toHex(certified.cin);
      const card = await deps.store.getCardByCin(cin);
      if (!card) throw notFound('unknown_card', `no card with CIN ${cin} is registered`, '/certificate');
      if (card.status === 'blocked') throw forbidden('card_blocked', 'this card is blocked');
      if (card.iin !== toHex(certified.iin) || !equalBytes(card.publicKey, certified.publicKey) || !equalBytes(card.certificate, certificateDer(body.certificate))) {
        throw forbidden('certificate_card_mismatch', 'the certificate is not the one issued to the registered card', '/certificate');
      }
      if (!equalBytes(request.cardId, certified.cin)) throw forbidden('request_card_mismatch', 'the request names another card than the certificate', '/request');

      const signature = fromHex(body.signature);
      if (!verifyApplicationRequestSignature(certified.curve, certified.publicKey, encoded, signature)) {
        throw forbidden('request_signature_invalid', "the request signature does not verify with the card's certified key", '/signature');
      }

      const provider = await deps.store.getProvider(body.providerId);
      if (!provider) throw notFound('unknown_provider', `no provider ${body.providerId}`, '/providerId');
      if (!macEquals(labelledMac(provider.hmacSecret, REQUEST_AUTHORISATION_LABEL, encoded), fromHex(body.providerAuthorisation))) {
        throw forbidden('provider_authorisation_invalid', 'the provider did not issue this request (authorisation does not verify)', '/providerAuthorisation');
      }
      const nowSeconds = Math.floor(now / 1000);
      if (request.expiresAt <= nowSeconds) throw forbidden('request_expired', `the request expired at ${new Date(request.expiresAt * 1000).toISOString()}`, '/request');
      if (request.expiresAt - nowSeconds > maxLifetime) throw forbidden('request_lifetime_too_long', `a request may live at most ${maxLifetime} s`, '/request');

      // Orders past their expiry fail now, so they neither block a new order nor get installed later.
      await deps.store.expireOrders(nowSeconds, now);
      const nonce = toHex(request.nonce);
      const orders = await deps.store.listOrders({ cardId: card.id });
      const same = orders.find((o) => o.nonce === nonce);
      if (same) {
        // The terminal retrying the very request whose answer it lost (same bytes, same signature) gets
        // the same order back while it is still waiting for remote management; anything else is a replay.
        if (same.state === 'authorised' && equalBytes(same.request, encoded) && equalBytes(same.requestSignature, signature)) {
          res.status(200).json(authorisedAnswer(req, same.id, same.sessionId, same.expiresAt));
          return;
        }
        throw conflict('request_replayed', 'this request (nonce) was already used', '/request');
      }

      const packageAid = toHex(request.packageAid);
      const application = await deps.store.getApplicationByPackageAid(packageAid);
      if (!application) throw notFound('unknown_application', `no application with package AID ${packageAid}`, '/request');
      if (application.providerId !== provider.id) throw forbidden('application_provider_mismatch', `package ${packageAid} does not belong to provider ${provider.id}`, '/providerId');
      const contents = await deps.store.listCardContents(card.id);
      if (contents.some((c) => c.aid === packageAid || c.aid === application.instanceAid)) throw conflict('already_installed', `${packageAid} is already on this card`);
      const open = orders.find((o) => o.applicationId === application.id && OPEN_STATES.has(o.state));
      if (open) {
        // Refused: one open order per card and application. The card itself asked (its signature just
        // verified), so it learns how to finish the open order: a terminal that lost its session (its
        // answer lost, the issuer restarted) resumes it rather than waiting for it to expire. The session
        // drives only this card: its keys are this card's.
        const refusal = conflict('order_open', `order ${open.id} for ${application.name} on this card is still ${open.state}; finish it (openOrder) or let it expire`);
        res.status(409).json({ ...refusal.toBody(), ...(open.state === 'authorised' ? { openOrder: authorisedAnswer(req, open.id, open.sessionId, open.expiresAt) } : {}) } satisfies OrderOpenAnswer);
        return;
      }
      if (card.freeNvm !== null && card.freeNvm < application.memoryNeeded) {
        throw conflict('insufficient_memory', `the card reported ${card.freeNvm} bytes free; ${application.name} needs ${application.memoryNeeded}`);
      }

      const orderId = newId(deps.random);
      const sessionId = newId(deps.random);
      try {
        await deps.store.createAuthorisedOrder({
          id: orderId,
          cardId: card.id,
          applicationId: application.id,
          providerId: provider.id,
          serviceId: request.serviceId,
          nonce,
          request: encoded,
          requestSignature: signature,
          expiresAt: request.expiresAt,
          sessionId,
          createdAt: now,
        });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'DUPLICATE' && err.field === 'nonce') throw conflict('request_replayed', 'this request (nonce) was already used', '/request');
        if (err instanceof StoreError && err.code === 'DUPLICATE' && err.field === 'open_order') throw conflict('order_open', `another order for ${application.name} on this card is still open`);
        throw err;
      }
      annotateRequestLog(res, { orderId, cardId: card.id, applicationId: application.id, serviceId: request.serviceId, outcome: 'authorised' });
      res.status(201).json(authorisedAnswer(req, orderId, sessionId, request.expiresAt));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/install-orders/:orderId',
      operationId: 'getInstallOrder',
      summary: 'State of an install order, for the terminal that holds its session id',
      tags: ['install'],
      query: ORDER_QUERY,
      responses: { '200': { description: 'the order: state and failure code (no detail text)', schema: ORDER_ANSWER } },
    },
    async (req, res) => {
      const id = String(req.params.orderId);
      const order = await deps.store.getOrder(id);
      // The session id is the terminal's proof that it made this order; a wrong one and an unknown order answer alike.
      if (!order || !sameSecret(order.sessionId, String(req.query.sessionId))) throw notFound('unknown_order', 'no such order for this session');
      res.json({
        orderId: order.id,
        state: order.state,
        ...(order.failureCode ? { failure: { code: order.failureCode } } : {}),
        ...(order.confirmationCounter !== null ? { confirmationCounter: order.confirmationCounter } : {}),
      } satisfies OrderAnswer);
    },
  );
}
