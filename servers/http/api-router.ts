import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { HttpError } from './http-error.ts';
import { checkSchema, ERROR_BODY, type JsonSchema } from './json-schema.ts';
import { DEFAULT_BODY_LIMIT, parseJsonBody, readBody } from './read-body.ts';
import type { SecurityScheme } from './security.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One operation: what it validates and what it answers, for the router and for the OpenAPI document alike. */
export interface RouteSpec {
  method: HttpMethod;
  /** Express path (`/cards/:cin`); printed as `/cards/{cin}` in the OpenAPI document. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /**
   * Scheme name in the router's `securitySchemes`: the router authenticates before it reads the body.
   * (A router made without schemes only documents the name; the check is then a handler of the route.)
   */
  security?: string;
  /** Largest body accepted, in bytes (default 64 KiB); above it 413 `payload_too_large`, unread. */
  bodyLimit?: number;
  /** Request body schema: validated before the handler runs (400 `invalid_body`). */
  body?: JsonSchema;
  /** Body validator of its own (e.g. SERAM messages); replaces `body` for validation, `body` still documents. */
  validateBody?: (body: unknown) => HttpError | undefined;
  /** Query schema (every value is a string): 400 `invalid_query`. */
  query?: JsonSchema;
  responses: Record<string, { description: string; schema?: JsonSchema }>;
}

/**
 * An express router that knows its operations: each route is declared once with its schemas,
 * which both validate requests and make up `/openapi.json` (OpenAPI 3.0.3).
 */
export class ApiRouter {
  readonly router: Router = express.Router();
  readonly routes: RouteSpec[] = [];
  readonly #schemes: Record<string, SecurityScheme> | undefined;

  /**
   * `securitySchemes`: how each `RouteSpec.security` name authenticates. Every route then runs
   * authenticate → read the body (its own limit) → verify the raw body (MAC schemes) → parse JSON →
   * validate query and body → its handlers, so nothing of an unauthenticated body is read or parsed.
   */
  constructor(options: { securitySchemes?: Record<string, SecurityScheme> } = {}) {
    this.#schemes = options.securitySchemes;
  }

  route(spec: RouteSpec, ...handlers: RequestHandler[]): void {
    let scheme: SecurityScheme | undefined;
    if (spec.security !== undefined) {
      scheme = this.#schemes?.[spec.security];
      // A misspelt or unconfigured scheme must not silently leave a route open.
      if (scheme === undefined) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path}: no security scheme '${spec.security}'`);
    }
    this.routes.push(spec);
    this.router[spec.method](spec.path, acceptRequest(spec, scheme), ...handlers);
  }

  /** The OpenAPI 3.0.3 document of every declared route. */
  openApi(info: { title: string; version: string; description?: string }, extra: { components?: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> } = {}): object {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.routes) {
      const path = spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: unknown[] = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      if (spec.query?.properties) {
        const required = new Set((spec.query.required as string[] | undefined) ?? []);
        for (const [name, schema] of Object.entries(spec.query.properties)) parameters.push({ name, in: 'query', required: required.has(name), schema });
      }
      const responses: Record<string, unknown> = {};
      for (const [status, r] of Object.entries(spec.responses)) {
        responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: r.schema } } } : { description: r.description };
      }
      responses['4XX'] ??= { description: 'refused: `{ error: { code, message, path? } }`', content: { 'application/json': { schema: ERROR_BODY } } };
      (paths[path] ??= {})[spec.method] = {
        operationId: spec.operationId,
        summary: spec.summary,
        tags: spec.tags,
        ...(spec.security ? { security: [{ [spec.security]: [] }] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: spec.body } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.0.3',
      info,
      paths,
      components: {
        schemas: extra.components ?? {},
        securitySchemes: { ...Object.fromEntries(Object.entries(this.#schemes ?? {}).map(([name, s]) => [name, s.openApi])), ...extra.securitySchemes },
      },
    };
  }
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** 415 unless the body is declared JSON (`application/json`, `application/*+json`) in UTF-8. */
function mediaTypeError(req: Request): HttpError | undefined {
  const type = req.headers['content-type'] ?? '';
  if (!JSON_TYPE.test(type)) return new HttpError(415, 'unsupported_media_type', 'request body must be application/json');
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return new HttpError(415, 'unsupported_media_type', `charset ${charset} is not accepted`);
  return undefined;
}

/** A refusal before the body was read: close the connection rather than read what is left of it. */
function refuseUnread(req: Request, res: Response, error: HttpError): HttpError {
  if (!req.complete && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)) res.setHeader('connection', 'close');
  return error;
}

/** The route's first middleware: authentication, body, validation, in that order. */
function acceptRequest(spec: RouteSpec, scheme: SecurityScheme | undefined): RequestHandler {
  const limit = spec.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const hasBody = spec.body !== undefined || spec.validateBody !== undefined;
  return async (req, res, next) => {
    const denied = scheme?.authenticate?.(req);
    if (denied) return next(refuseUnread(req, res, denied));
    if (spec.query) {
      const error = checkSchema({ ...req.query }, spec.query, 'invalid_query', 'query');
      if (error) return next(refuseUnread(req, res, error));
    }
    // A scheme that signs the body checks it even on a route that takes none (an empty body signed).
    if (!hasBody && scheme?.verifyBody === undefined) return next();
    if (hasBody) {
      const mediaError = mediaTypeError(req);
      if (mediaError) return next(refuseUnread(req, res, mediaError));
    }
    // An app that still parses every body itself (`app.use(jsonBody())`) has done this part already.
    if (req.rawBody === undefined) {
      let raw: Buffer;
      try {
        raw = await readBody(req, limit);
      } catch (err) {
        return next(err instanceof HttpError ? refuseUnread(req, res, err) : err);
      }
      req.rawBody = raw;
      const forged = scheme?.verifyBody?.(req, raw);
      if (forged) return next(forged);
      if (!hasBody) return next();
      try {
        req.body = parseJsonBody(raw);
      } catch (err) {
        return next(err);
      }
    } else {
      const forged = scheme?.verifyBody?.(req, req.rawBody);
      if (forged) return next(forged);
      if (!hasBody) return next();
    }
    const error = spec.validateBody ? spec.validateBody(req.body) : checkSchema(req.body, spec.body!);
    if (error) return next(error);
    next();
  };
}
