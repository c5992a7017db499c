import { SELECT_SERVICE_ANSWER, SELECT_SERVICE_BODY, type SelectServiceAnswer, type SelectServiceBody } from '../../../protocol/api/index.ts';
import { fromHex, toHex } from '../../../protocol/bytes.ts';
import { encodeApplicationRequest } from '../../../protocol/provisioning/index.ts';
import { annotateRequestLog, labelledMac, REQUEST_AUTHORISATION_LABEL, type ApiRouter } from '../../http/index.ts';
import { DEFAULTS, type ProviderDeps } from '../provider-deps.ts';
import { serviceOf } from './services.ts';

/**
 * S5–S6: the canonical ApplicationRequest the card signs (protocol/provisioning), a fresh 16-byte
 * nonce, and the provider authorisation the issuer checks, HMAC-SHA256 over the request.
 */
export function selectionRoutes(api: ApiRouter, deps: ProviderDeps): void {
  const lifetime = deps.requestLifetimeSeconds ?? DEFAULTS.requestLifetimeSeconds;
  api.route(
    {
      method: 'post',
      path: '/services/:serviceId/select',
      operationId: 'selectService',
      summary: 'S5–S6: the application request the card must sign (canonical bytes), with a fresh nonce',
      tags: ['services'],
      body: SELECT_SERVICE_BODY,
      responses: { '201': { description: 'the request to sign, and the provider authorisation the issuer checks', schema: SELECT_SERVICE_ANSWER } },
    },
    async (req, res) => {
      const s = await serviceOf(deps, String(req.params.serviceId));
      const body = req.body as SelectServiceBody;
      const cardId = fromHex(body.cardId);
      const nonce = deps.random.bytes(16);
      const now = deps.clock();
      const expiresAt = Math.floor(now / 1000) + lifetime;
      const encoded = encodeApplicationRequest({ serviceId: s.id, cardId, packageAid: fromHex(s.packageAid), nonce, expiresAt });
      await deps.store.createSelection({ nonce: toHex(nonce), serviceId: s.id, cardId: toHex(cardId), request: encoded, expiresAt, createdAt: now });
      annotateRequestLog(res, { serviceId: s.id });
      const answer: SelectServiceAnswer = {
        request: { serviceId: s.id, cardId: toHex(cardId), packageAid: s.packageAid, nonce: toHex(nonce), expiresAt },
        encodedRequest: toHex(encoded),
        providerId: deps.providerId,
        providerAuthorisation: toHex(labelledMac(deps.issuerSecret, REQUEST_AUTHORISATION_LABEL, encoded)),
      };
      res.status(201).json(answer);
    },
  );
}
