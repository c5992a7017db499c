export { Scp03Error, type Scp03ErrorCode } from './scp03-error.ts';
export { scp03Kdf, DERIVATION } from './kdf.ts';
export {
  deriveSessionKeys,
  cardCryptogram,
  hostCryptogram,
  pseudoRandomCardChallenge,
  type StaticKeys,
  type SessionKeys,
} from './session-keys.ts';
export {
  SECURITY_LEVEL,
  VALID_SECURITY_LEVELS,
  createSecureMessagingState,
  commandMac,
  wrapCommand,
  unwrapCommand,
  wrapResponse,
  unwrapResponse,
  isProtectedStatus,
  type SecureMessagingState,
} from './secure-messaging.ts';
export { hasSecureMessaging, secureCla, plainCla, macCla } from './class-byte.ts';
export { Scp03CardSession, type Scp03SessionState, type InitializeUpdateParams } from './card-session.ts';
export { Scp03HostSession, type Scp03HostSessionOptions } from './host-session.ts';
