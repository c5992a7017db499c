import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { buildCap } from '../protocol/cap/index.ts';
import type { EcCurve } from '../protocol/crypto/index.ts';
import { registerApplication, registerCard, registerCardholder } from './issuer/routes/admin-routes.ts';
import { registerService } from './provider/app.ts';
import type { IssuerDeps } from './issuer/issuer-deps.ts';
import type { ProviderDeps } from './provider/app.ts';

/** A card the demo registers: its card-unique data and signing key, and how to personalise it. */
export interface DemoCard {
  iin: Uint8Array;
  cin: Uint8Array;
  icSerial: Uint8Array;
  publicKey: Uint8Array;
  curve: EcCurve;
  /** Writes the issuer's certificate into the card (GET DATA 7F21). */
  installCertificate(der: Uint8Array): void;
  /** Replaces the card's default ISD keys with the per-card keys the issuer derived for it. */
  installKeys(keys: { kvn: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array }): void;
  /** Saves the card image. */
  save(path: string): void;
}

/** A demo service: the applet it needs and what the terminal sends to it at service start. */
export interface DemoService {
  id: string;
  name: string;
  description: string;
  packageAid: Uint8Array;
  appletAid: Uint8Array;
  codeSize: number;
  /** C-APDUs sent as they are at every start (e.g. SELECT of the instance). */
  startCommands: Uint8Array[];
  /** Points credited once at start: the provider sends CREDIT [once] with a transaction id of its own per member. */
  openingCredit?: number;
}

export interface DemoData {
  cardPath: string;
  serviceIds: string[];
}

/**
 * Demo data on first start of a data directory (`demo.json` records it): a cardholder, a card
 * registered for them (certified by the issuer CA, its image saved as `demo-card.json`), and the
 * services with their CAPs (written to `caps/`, uploaded to the issuer, DAP-signed). Later starts
 * only read `demo.json`. One process creates it: a full `cardlab serve`, or the provider instance of
 * several (issuer instances never do), so instances starting together never race on it.
 */
export async function ensureDemoData(servers: { issuer: { deps: IssuerDeps }; provider: { deps: ProviderDeps } }, dataDir: string, demo: { card: (dapPublicKey: Uint8Array) => DemoCard; services: DemoService[] }): Promise<DemoData> {
  const marker = join(dataDir, 'demo.json');
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, 'utf8')) as DemoData;
  const issuer = servers.issuer.deps;
  const card = demo.card(issuer.keys.dap.publicKey);
  const { cardholderId } = await registerCardholder(issuer, { name: 'Demo Cardholder', address: '1 Example Street, Demo Town' });
  const { certificate, keys } = await registerCard(issuer, {
    cardholderId,
    iin: toHex(card.iin),
    cin: toHex(card.cin),
    icSerial: toHex(card.icSerial),
    cardPublicKey: toHex(card.publicKey),
    curve: card.curve,
  });
  card.installCertificate(Buffer.from(certificate, 'hex'));
  // No two demo cards share ISD keys: the issuer derived this card's own from its master key.
  card.installKeys({ kvn: keys!.kvn, enc: fromHex(keys!.enc), mac: fromHex(keys!.mac), dek: fromHex(keys!.dek) });
  const cardPath = join(dataDir, 'demo-card.json');
  card.save(cardPath);

  mkdirSync(join(dataDir, 'caps'), { recursive: true });
  for (const s of demo.services) {
    const cap = buildCap({ packageAid: s.packageAid, appletAids: [s.appletAid], codeSize: s.codeSize });
    writeFileSync(join(dataDir, 'caps', `${s.id}.cap`), cap);
    await registerApplication(issuer, { providerId: servers.provider.deps.providerId, name: s.name, cap: Buffer.from(cap).toString('base64') });
    await registerService(servers.provider.deps, {
      id: s.id,
      name: s.name,
      description: s.description,
      packageAid: toHex(s.packageAid),
      appletAid: toHex(s.appletAid),
      startCommands: s.startCommands.map((c) => toHex(c)),
      ...(s.openingCredit !== undefined ? { openingCredit: s.openingCredit } : {}),
    });
  }
  const data: DemoData = { cardPath, serviceIds: demo.services.map((s) => s.id) };
  writeFileSync(marker, JSON.stringify(data, null, 2));
  return data;
}
