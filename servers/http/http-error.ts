/**
 * Every refusal either server gives, by machine-readable code. A client always gets
 * `{ error: { code, message, path? } }` with one of these codes and a 4xx status; `internal_error`
 * (500) is kept for the server's own faults and never for anything a client sent.
 */
export type HttpErrorCode =
  // transport and body
  | 'malformed_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_body'
  | 'invalid_query'
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'bad_signature'
  // issuer: cards and cardholders
  | 'unknown_cardholder'
  | 'unknown_card'
  | 'card_blocked'
  | 'card_data_mismatch'
  | 'card_already_registered'
  | 'invalid_card_data'
  // issuer: applications and providers
  | 'unknown_provider'
  | 'provider_already_registered'
  | 'unknown_application'
  | 'application_already_registered'
  | 'invalid_cap'
  // issuer: install requests
  | 'invalid_request_encoding'
  | 'certificate_invalid'
  | 'certificate_untrusted'
  | 'certificate_expired'
  | 'certificate_card_mismatch'
  | 'request_signature_invalid'
  | 'provider_authorisation_invalid'
  | 'request_card_mismatch'
  | 'request_expired'
  | 'request_lifetime_too_long'
  | 'request_replayed'
  | 'application_provider_mismatch'
  | 'already_installed'
  | 'insufficient_memory'
  | 'unknown_order'
  | 'order_open'
  | 'order_expired'
  | 'invalid_aid'
  | 'not_on_card'
  | 'unknown_dead_letter'
  // SERAM remote management
  | 'unknown_session'
  | 'session_closed'
  | 'invalid_seram_message'
  | 'no_acceptable_proposal'
  | 'secure_element_mismatch'
  | 'unexpected_report'
  // provider
  | 'unknown_service'
  | 'service_already_registered'
  | 'not_a_member'
  | 'notification_conflict'
  | 'idempotency_key_missing'
  | 'idempotency_key_mismatch'
  | 'already_a_member'
  // provider: card-signed service start (S16)
  | 'invalid_start_request'
  | 'unknown_start_request'
  | 'start_request_mismatch'
  | 'card_key_unknown'
  | 'start_signature_invalid'
  | 'unknown_start'
  | 'start_responses_mismatch'
  | 'start_not_applied'
  // server faults
  | 'internal_error';

/** A refusal: HTTP status, closed code, human message and, for body errors, where (JSON Pointer). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }

  /** The response body every refusal has. */
  toBody(): { error: { code: HttpErrorCode; message: string; path?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.path !== undefined ? { path: this.path } : {}) } };
  }
}

export const badRequest = (code: HttpErrorCode, message: string, path?: string) => new HttpError(400, code, message, path);
export const unauthorized = (code: HttpErrorCode, message: string) => new HttpError(401, code, message);
export const forbidden = (code: HttpErrorCode, message: string, path?: string) => new HttpError(403, code, message, path);
export const notFound = (code: HttpErrorCode, message: string, path?: string) => new HttpError(404, code, message, path);
export const conflict = (code: HttpErrorCode, message: string, path?: string) => new HttpError(409, code, message, path);
export const unprocessable = (code: HttpErrorCode, message: string, path?: string) => new HttpError(422, code, message, path);
