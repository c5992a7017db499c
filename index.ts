/**
 * cardlab as a library (`import { createCard, runScenario } from 'cardlab'`): the simulated card, the
 * readers, the terminal's provisioning, the servers' app factories and the scenario runner. A
 * composition root: it enters each folder through its index.ts (protocol and scenarios, which have no
 * single door, by their modules).
 */
import { fileURLToPath } from 'node:url';

// The card
export {
  createCard,
  Card,
  CardError,
  loadCard,
  backCardWithImage,
  loadCardImage,
  saveCardImage,
  resolveProfile,
  readProfileFile,
  validateProfile,
  ProfileError,
  DEFAULT_PROFILE,
  PowerLossError,
  StorageError,
  DEFAULT_HANDLERS,
  DEFAULT_APPLETS,
  loyaltyApplet,
  echoApplet,
  LOYALTY_APPLET_AID,
  LOYALTY_PACKAGE_AID,
  ECHO_APPLET_AID,
  ECHO_PACKAGE_AID,
  toMermaidStateDiagram,
  type CreateCardOptions,
  type LoadCardOptions,
  type CardProfile,
  type CardProfileInput,
  type CommandHandler,
  type CommandContext,
  type CardResponse,
  type DispatchOverride,
  type AppletModel,
  type AppletContext,
  type WriteHook,
  type PhysicalWrite,
} from './simulator/index.ts';

// Readers
export {
  ReaderError,
  createSimReader,
  createPcscReader,
  createPcscWorkerReader,
  listReaders,
  createReplayReader,
  replayTrace,
  openReaderBySpec,
  serveCardOverVpcd,
  withTrace,
  withGetResponse,
  withLatency,
  toJsonLines,
  parseJsonLines,
  toAnnotatedText,
  parseAnnotatedText,
  parseTrace,
  diffTraces,
  VPCD_READER_NAME,
  type Reader,
  type ReaderEvent,
  type ReaderErrorCode,
  type SimReader,
  type PcscReader,
  type PcscReaderOptions,
  type PcscWorkerReader,
  type PcscWorkerReaderOptions,
  type ReplayReader,
  type VpcdCardServer,
  type VpcdServeOptions,
  type TraceEntry,
  type TraceDiff,
  type TraceDiffOptions,
} from './reader-bridge/index.ts';
export { openReader, ReaderSpecError } from './scenarios/open-reader.ts';

// The terminal
export {
  provision,
  runLocalAgent,
  TerminalError,
  type ProvisionOptions,
  type ProvisionResult,
  type StepProgress,
  type LocalAgentOptions,
  type LocalAgentResult,
  type TerminalErrorCode,
  type ProvisionStep,
} from './terminal/index.ts';

// The servers
export {
  createIssuerApp,
  createProviderApp,
  registerService,
  registerCardholder,
  registerCard,
  registerProvider,
  registerApplication,
  startServers,
  openDataDir,
  ensureDemoData,
  listen,
  loadOrCreateIssuerKeys,
  createIssuerKeys,
  SqliteIssuerStore,
  SqliteProviderStore,
  HttpError,
  type IssuerApp,
  type IssuerDeps,
  type ProviderDeps,
  type ServeOptions,
  type RunningServers,
  type Listening,
  type IssuerKeys,
  type DemoData,
  type HttpErrorCode,
} from './servers/index.ts';

// Scenarios
export { runScenario, type RunOptions, type ScenarioResult, type StepResult, type ScenarioEnvironment } from './scenarios/run-scenario.ts';
export { runSuite, collectScenarioFiles, type SuiteOptions } from './scenarios/run-suite.ts';
export { loadScenario, parseScenario, checkScenarioFile, checkScenarioText, type ScenarioCheck } from './scenarios/load-scenario.ts';
export { createEmbeddedEnvironment } from './scenarios/env/embedded-environment.ts';
export { ScenarioError } from './scenarios/scenario-error.ts';
export type { Scenario, Step, StepKind } from './scenarios/scenario.ts';

// Bytes, APDUs and status words
export { hex, fromHex, toHex, concat, equalBytes } from './protocol/bytes.ts';
export {
  SW,
  swOf,
  swHex,
  swName,
  swMeaning,
  isSuccess,
  INS,
  buildCommandApdu,
  parseCommandApdu,
  parseResponseApdu,
  CardStatusError,
  type CommandApdu,
  type ResponseApdu,
} from './protocol/apdu/index.ts';
export { buildSelect } from './protocol/gp/commands/index.ts';
export { annotate } from './protocol/describe.ts';

/** The folder of the scenarios cardlab ships (the ones `cardlab run` runs by default). */
export const BUNDLED_SCENARIOS: string = fileURLToPath(new URL('./scenarios/suite/', import.meta.url));
/** The JSON Schema of scenario files (also `cardlab/scenario.schema.json`). */
export const SCENARIO_SCHEMA: string = fileURLToPath(new URL('./scenarios/scenario.schema.json', import.meta.url));
