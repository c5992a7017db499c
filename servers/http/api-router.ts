import express, { type Request, type RequestHandler, type Router } from 'express';
import { HttpError } from './http-error.ts';
import { checkSchema, ERROR_BODY, type JsonSchema } from './json-schema.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One operation: what it validates and what it answers, for the router and for the OpenAPI document alike. */
export interface RouteSpec {
  method: HttpMethod;
  /** Express path (`/cards/:cin`); printed as `/cards/{cin}` in the OpenAPI document. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** Scheme name in the document's securitySchemes; the check itself is a handler. */
  security?: string;
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

  route(spec: RouteSpec, ...handlers: RequestHandler[]): void {
    this.routes.push(spec);
    this.router[spec.method](spec.path, validateRequest(spec), ...handlers);
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
      components: { schemas: extra.components ?? {}, securitySchemes: extra.securitySchemes ?? {} },
    };
  }
}

function validateRequest(spec: RouteSpec): RequestHandler {
  return (req: Request, _res, next) => {
    if (spec.query) {
      const error = checkSchema({ ...req.query }, spec.query, 'invalid_query', 'query');
      if (error) return next(error);
    }
    if (spec.body || spec.validateBody) {
      if (!req.is('application/json') && !req.is('application/*+json')) {
        return next(new HttpError(415, 'unsupported_media_type', 'request body must be application/json'));
      }
      const error = spec.validateBody ? spec.validateBody(req.body) : checkSchema(req.body, spec.body!);
      if (error) return next(error);
    }
    next();
  };
}
