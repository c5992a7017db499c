export { HttpError, badRequest, unauthorized, forbidden, notFound, conflict, unprocessable, type HttpErrorCode } from './http-error.ts';
export { errorHandler, notFoundHandler } from './error-handler.ts';
export { jsonBody, DEFAULT_BODY_LIMIT } from './json-body.ts';
export { checkSchema, assertSchema, HEX, AID, ID, ERROR_BODY, type JsonSchema } from './json-schema.ts';
export { ApiRouter, type RouteSpec, type HttpMethod } from './api-router.ts';
export { SIGNATURE_HEADER, signBody, verifyBodySignature, labelledMac, macEquals, REQUEST_AUTHORISATION_LABEL, requireBodySignature, requireBearerToken } from './hmac.ts';
export { listen, type Listening } from './listen.ts';
export { createLogger, requestLog, REDACTED_PATHS, type Logger } from './logger.ts';
