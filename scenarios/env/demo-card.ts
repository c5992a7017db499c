import { buildGetData } from '../../protocol/gp/commands/index.ts';
import { parseSingleTlv } from '../../protocol/tlv/index.ts';
import type { DemoCard } from '../../servers/index.ts';
import { createCard, type Card } from '../../simulator/index.ts';

/**
 * A simulated card as the issuer's personalisation sees it: its card-unique data (GET DATA 42, 45,
 * 9F7F), its signing key, and the two personalisation steps (certificate, per-card ISD keys). `save`
 * writes its image (a no-op where the card lives only in a run).
 */
export function demoCardOf(card: Card, save: (path: string) => void = () => undefined): DemoCard {
  if (!card.powered) card.powerOn();
  const value = (tag: number) => parseSingleTlv(card.transmit(buildGetData(tag)).subarray(0, -2)).value;
  const key = card.signingKey();
  return {
    iin: value(0x42),
    cin: value(0x45),
    icSerial: value(0x9f7f).subarray(12, 16),
    publicKey: key.publicKey,
    curve: key.curve,
    installCertificate: (der) => card.installCertificate(der),
    installKeys: (keys) => card.installKeys(keys),
    save,
  };
}

/** A default card whose ISD verifies the issuer's DAP key, personalised from `seed`, saved as a card image: the demo card of `cardlab serve`. */
export function newDemoCard(dapPublicKey: Uint8Array, seed: string): DemoCard {
  const card = createCard({ profile: { dap: { key: { type: 'ecdsa', curve: 'P-256', publicKey: Buffer.from(dapPublicKey).toString('hex') } } }, seed });
  return demoCardOf(card, (path) => card.saveImage(path));
}
