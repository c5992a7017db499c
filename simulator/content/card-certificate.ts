import { concat } from '../../protocol/bytes.ts';
import { issueCardCertificate, type IssuerCa } from '../../protocol/pki/index.ts';
import type { Card } from '../card.ts';
import { STORE_KEY } from '../storage-keys.ts';

/** Default validity of a card certificate: fixed dates, so a seeded card is the same card every run. */
export const DEFAULT_CARD_CERTIFICATE_VALIDITY = {
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2036-01-01T00:00:00Z'),
};

/**
 * The issuer's personalisation step for claim 3: its CA certifies the card's own public key (subject
 * OU = IIN, CN = CIN; serial = 01 ‖ CPLC IC serial number), and the certificate is written into the
 * card's persistent memory (charged like any object), where GET DATA 7F21 returns it.
 */
export async function personalizeCertificate(card: Card, ca: IssuerCa, validity = DEFAULT_CARD_CERTIFICATE_VALIDITY): Promise<Uint8Array> {
  const key = card.signingKey();
  const cplc = card.store.get(STORE_KEY.CPLC)!;
  const der = await issueCardCertificate(ca, {
    cardPublicKey: key.publicKey,
    curve: key.curve,
    iin: card.store.get(STORE_KEY.IIN)!,
    cin: card.store.get(STORE_KEY.CIN)!,
    serialNumber: concat(new Uint8Array([0x01]), cplc.subarray(12, 16)),
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
  });
  card.installCertificate(der);
  return der;
}
