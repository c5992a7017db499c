import { IDEMPOTENCY_KEY_HEADER, MEMBER_NOTIFICATION, NOTIFICATION_ANSWER, type MemberNotification, type NotificationAnswer } from '../../../protocol/api/index.ts';
import { fromHex } from '../../../protocol/bytes.ts';
import { isValidEcPublicKey } from '../../../protocol/crypto/index.ts';
import { annotateRequestLog, badRequest, conflict, unprocessable, type ApiRouter } from '../../http/index.ts';
import type { ProviderDeps } from '../provider-deps.ts';
import { ProviderStoreError } from '../store/provider-store.ts';
import { serviceOf } from './services.ts';

/**
 * S15: the issuer tells of a new member. The HMAC (`x-cardlab-signature`) is checked before anything
 * else (app.ts). Idempotent by `idempotency-key`, which must be the notificationId: the same key and
 * body again is a counted duplicate, forever. A notification never resets a member: a second one for
 * a request nonce already notified (`notification_conflict`) or for a card that already is a member
 * (`already_a_member`) is refused with nothing written — a 4xx the issuer's outbox does not retry.
 */
export function notificationRoutes(api: ApiRouter, deps: ProviderDeps): void {
  api.route(
    {
      method: 'post',
      path: '/notifications',
      operationId: 'notifyMember',
      summary: 'S15: the issuer tells of a new member (HMAC-SHA256 in x-cardlab-signature; idempotent by the idempotency-key header, the notificationId)',
      tags: ['issuer'],
      security: 'issuerHmac',
      body: MEMBER_NOTIFICATION,
      responses: { '200': { description: 'recorded (or already recorded)', schema: NOTIFICATION_ANSWER } },
    },
    async (req, res) => {
      const n = req.body as MemberNotification;
      const key = req.get(IDEMPOTENCY_KEY_HEADER);
      if (key === undefined || key === '') throw badRequest('idempotency_key_missing', `a notification carries the header ${IDEMPOTENCY_KEY_HEADER}: <notificationId>`);
      if (key !== n.notificationId) throw badRequest('idempotency_key_mismatch', `${IDEMPOTENCY_KEY_HEADER} ${key} is not the notificationId`, '/notificationId');
      const s = await serviceOf(deps, n.serviceId);
      const nonce = n.nonce.toUpperCase();
      const cardId = n.cardId.toUpperCase();
      const selection = await deps.store.getSelection(nonce);
      if (!selection || selection.serviceId !== s.id || selection.cardId !== cardId || s.packageAid !== n.packageAid.toUpperCase()) {
        throw unprocessable('notification_conflict', 'the notification does not match an application request this provider issued', '/nonce');
      }
      // The key verifies every start of this member: one that is no point of its curve would lock the card out.
      if (!isValidEcPublicKey(n.curve, fromHex(n.cardPublicKey))) throw unprocessable('invalid_card_data', `cardPublicKey is no point of ${n.curve}`, '/cardPublicKey');
      let outcome: 'recorded' | 'duplicate';
      try {
        outcome = await deps.store.recordNotification({
          id: n.notificationId,
          body: req.rawBody!.toString('utf8'),
          nonce,
          at: deps.clock(),
          member: { serviceId: s.id, cardId, orderId: n.orderId, curve: n.curve, cardPublicKey: n.cardPublicKey.toUpperCase(), ...(n.replacesOrderId ? { replacesOrderId: n.replacesOrderId } : {}) },
        });
      } catch (err) {
        if (!(err instanceof ProviderStoreError)) throw err;
        if (err.code === 'CONFLICT') throw conflict('notification_conflict', err.message, '/notificationId');
        if (err.code === 'NONCE_CONSUMED') throw conflict('notification_conflict', err.message, '/nonce');
        if (err.code === 'ALREADY_A_MEMBER') throw conflict('already_a_member', err.message, '/cardId');
        throw err;
      }
      annotateRequestLog(res, { notificationId: n.notificationId, serviceId: s.id, outcome });
      const answer: NotificationAnswer = { notificationId: n.notificationId, recorded: outcome === 'recorded', duplicate: outcome === 'duplicate' };
      res.json(answer);
    },
  );
}
