import { CardStatusError, SW, INS } from '../../protocol/apdu/index.ts';
import type { CommandHandler, CardResponse } from '../dispatch.ts';
import { signWithCardKey } from '../content/card-key.ts';

/** Largest request the card accepts to sign (all chained commands together). */
export const MAX_SIGNED_REQUEST = 4096;

/**
 * PERFORM SECURITY OPERATION: COMPUTE DIGITAL SIGNATURE (ISO/IEC 7816-8 §11.5, `00 2A 9E 9A`): the card
 * signs the data field (the terminal's service request) with its own key — ECDSA with SHA-256
 * computed by the card over the whole data, RFC 6979 nonces — and answers the raw r‖s (64 bytes).
 * Requests longer than one APDU arrive by ISO command chaining (CLA b5 on every command but the last;
 * the card assembles them). No secure channel is needed: the signature is the card's own word, and
 * the issuer checks it against the card certificate (GET DATA 7F21).
 */
export const performSecurityOperationHandler: CommandHandler = {
  name: 'PERFORM SECURITY OPERATION',
  ins: INS.PERFORM_SECURITY_OPERATION,
  chaining: true,
  requires: { cla: 'iso' },
  handle({ card, apdu }): CardResponse {
    if (apdu.p1 !== 0x9e || apdu.p2 !== 0x9a) throw new CardStatusError(SW.INCORRECT_P1P2, 'only COMPUTE DIGITAL SIGNATURE (P1-P2 9E9A) is supported');
    if (apdu.data.length === 0) throw new CardStatusError(SW.WRONG_LENGTH, 'nothing to sign');
    if (apdu.data.length > MAX_SIGNED_REQUEST) throw new CardStatusError(SW.WRONG_LENGTH, `requests above ${MAX_SIGNED_REQUEST} bytes are refused`);
    const signature = signWithCardKey(card.store, apdu.data);
    if (!signature) throw new CardStatusError(SW.CONDITIONS_NOT_SATISFIED, 'the card has no signing key');
    return { data: signature, sw: SW.SUCCESS };
  },
};
