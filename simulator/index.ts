/** The simulated GlobalPlatform card: the one door for every other folder. */
export { createCard, Card, CardError, type CreateCardOptions } from './card.ts';
export type { CardRuntime, StatusCursor } from './card-runtime.ts';
export type { CommandHandler, CommandContext, CardResponse, DispatchOverride } from './dispatch.ts';
export { DEFAULT_HANDLERS } from './commands/index.ts';
export { cardMachine } from './card-machine.ts';
export { isLegalLifeCycleTransition, type CardEvent } from './card-setup.ts';
export { resolveProfile, readProfileFile, validateProfile, ProfileError, type CardProfile, type CardProfileInput } from './profile/card-profile.ts';
export { DEFAULT_PROFILE } from './profile/default-profile.ts';
export { STORE_KEY } from './storage-keys.ts';
export {
  PersistentStore,
  PowerLossError,
  StorageError,
  OBJECT_OVERHEAD,
  loadCardImage,
  saveCardImage,
  type PhysicalWrite,
  type WriteHook,
} from './storage/index.ts';
export { loadCard, backCardWithImage, type LoadCardOptions } from './load-card.ts';
export { runCardShell, type CardShellOptions, type CardShellResult } from './shell/card-shell.ts';
export { formatExchange } from './shell/exchange-text.ts';
export { DEFAULT_APPLETS, loyaltyApplet, echoApplet, LOYALTY_APPLET_AID, LOYALTY_PACKAGE_AID, LOYALTY_INS, ECHO_APPLET_AID, ECHO_PACKAGE_AID, type AppletModel, type AppletContext } from './applets/index.ts';
export { personalizeCertificate, DEFAULT_CARD_CERTIFICATE_VALIDITY } from './content/card-certificate.ts';
export { toMermaidStateDiagram } from './diagram/mermaid.ts';
