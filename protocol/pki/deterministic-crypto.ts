import 'reflect-metadata';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';
import type { webcrypto } from 'node:crypto';
import { signEcdsa, type EcCurve } from '../crypto/index.ts';

/**
 * A WebCrypto for @peculiar/x509 whose ECDSA signatures are RFC 6979 deterministic (noble), so a
 * certificate is byte-for-byte the same for the same inputs. It wraps @peculiar/webcrypto's Crypto
 * (brainpool support) for everything else; `sign` returns raw r‖s as WebCrypto does (W3C WebCrypto
 * §23.4), which x509 turns into the DER ECDSA-Sig-Value. It has no randomness on purpose: every
 * random input (keys, serial numbers) must come from a RandomSource.
 */

const signingKeys = new WeakMap<object, { curve: EcCurve; privateKey: Uint8Array }>();

/** A CryptoKey handle for a raw EC private key; only this module's `sign` can use it. */
export function ecSigningKey(curve: EcCurve, privateKey: Uint8Array): webcrypto.CryptoKey {
  const key = Object.freeze({ type: 'private', extractable: false, algorithm: { name: 'ECDSA', namedCurve: curve }, usages: ['sign'] }) as unknown as webcrypto.CryptoKey;
  signingKeys.set(key, { curve, privateKey });
  return key;
}

function hashName(algorithm: unknown): string | undefined {
  const hash = (algorithm as { hash?: string | { name?: string } }).hash;
  return typeof hash === 'string' ? hash : hash?.name;
}

const base = new PeculiarCrypto();

const subtle = new Proxy(base.subtle, {
  get(target, property) {
    if (property === 'sign') {
      return async (algorithm: unknown, key: object, data: ArrayBuffer | ArrayBufferView) => {
        const raw = signingKeys.get(key);
        if (raw === undefined) return target.sign(algorithm as never, key as never, data);
        if (hashName(algorithm)?.toUpperCase() !== 'SHA-256') throw new Error(`deterministic ECDSA signs with SHA-256 only, not ${hashName(algorithm)}`);
        const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
        return signEcdsa(raw.curve, raw.privateKey, bytes).slice().buffer;
      };
    }
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

export const deterministicCrypto = {
  subtle,
  getRandomValues(): never {
    throw new Error('cardlab PKI takes every random input from a RandomSource');
  },
  randomUUID(): never {
    throw new Error('cardlab PKI takes every random input from a RandomSource');
  },
} as unknown as webcrypto.Crypto;
