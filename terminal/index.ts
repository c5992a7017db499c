/** The cardholder's terminal: S1–S16 over a Reader and the global fetch. Never imports the simulator. */
export { provision, type ProvisionOptions, type ProvisionResult, type StepProgress } from './provision.ts';
export { runLocalAgent, type LocalAgentOptions, type LocalAgentResult } from './local-agent.ts';
export { TerminalError, type TerminalErrorCode, type ProvisionStep } from './terminal-error.ts';
export { DEFAULT_HTTP, type HttpOptions } from './http-client.ts';
