/** The S-steps of the seed's flow (S1–S16). */
export type ProvisionStep = 'S1' | 'S2' | 'S3' | 'S4' | 'S5' | 'S6' | 'S7' | 'S8' | 'S9' | 'S10' | 'S11' | 'S12' | 'S13' | 'S14' | 'S15' | 'S16';

export type TerminalErrorCode =
  /** A server answered with a refusal: `serverCode` is its machine-readable code. */
  | 'refused'
  /** The network failed or a server did not answer in time. */
  | 'network'
  /** A server answered something that is not the API (not JSON, missing fields). */
  | 'bad_answer'
  /** The card answered an error status word, or no longer answers. */
  | 'card'
  /** The issuer's remote management ended the order as failed. */
  | 'install_failed'
  /** The provider was not told about the new member in time. */
  | 'not_notified';

/** Why a provisioning stopped, at which step, in the terminal's words. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  constructor(
    readonly step: ProvisionStep,
    readonly code: TerminalErrorCode,
    message: string,
    readonly detail: { status?: number; serverCode?: string; sw?: string } = {},
  ) {
    super(`${step}: ${message}`);
  }
}
