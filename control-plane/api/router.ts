/**
 * Mounts the routes on express: auth → path, query and header validation → body media type, size
 * and parse → body validation → handler → response. Every failure on the way is a catalogued
 * ApiError, so a bad request never reaches the port behind the handlers.
 */
import type { Express, Request, Response } from 'express';
import type { BearerAuth } from './auth';
import type { BodyReader } from './body';
import { ApiError } from './errors';
import type { Logger } from './logger';
import type { ApiMetrics } from './metrics';
import { type OpenApiValidator, type RouteValidators, violations } from './openapi/validator';
import { DependencyUnavailableError } from './port';
import type { Route, RouteResult } from './route';
import type { ValidateFunction } from 'ajv';

export interface RouterDeps {
  auth: BearerAuth;
  body: BodyReader;
  validator: OpenApiValidator;
  metrics: ApiMetrics;
  logger: Logger;
  /** Check every JSON response against its documented schema (tests); a mismatch becomes a 500. */
  validateResponses: boolean;
}

type Code = 'VALIDATION_PATH' | 'VALIDATION_QUERY' | 'VALIDATION_HEADER' | 'VALIDATION_BODY';

function checked<T>(validate: ValidateFunction | undefined, value: T, code: Code): T {
  if (validate && !validate(value)) throw new ApiError(code, undefined, violations(validate.errors));
  return value;
}

/** Express path from an OpenAPI path: /v1/users/{user} → /v1/users/:user. */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** Anything thrown on the way → the ApiError to answer with. Unknown errors are logged, not shown. */
export function toApiError(err: unknown, logger: Logger): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DependencyUnavailableError) {
    return new ApiError('DEPENDENCY_UNAVAILABLE', err.message, { dependency: err.dependency });
  }
  logger.error('unhandled error in API route', {
    err: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  return new ApiError('INTERNAL');
}

export function sendError(res: Response, err: ApiError, metrics: ApiMetrics): void {
  metrics.errors.inc({ code: err.code });
  res.status(err.status).set(err.headers).json(err.toBody());
}

function send(res: Response, result: RouteResult): void {
  res.status(result.status ?? 200);
  if (result.headers) res.set(result.headers);
  if (result.text !== undefined) res.type(result.contentType ?? 'text/plain').send(result.text);
  else if (result.body === undefined) res.end();
  else res.json(result.body);
}

function headerValues(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function handler(r: Route, deps: RouterDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      const v: RouteValidators = deps.validator.compile(r);
      if (!r.public) deps.auth.check(req.headers.authorization);
      const params = checked(v.path, { ...req.params } as Record<string, string>, 'VALIDATION_PATH');
      const query = checked(v.query, { ...(req.query as Record<string, unknown>) }, 'VALIDATION_QUERY');
      const headers = checked(v.headers, headerValues(req), 'VALIDATION_HEADER');
      let body: unknown;
      let rawBody: string | undefined;
      if (r.body) {
        const read = await deps.body.read(req, res, r.body.mediaTypes ?? ['application/json']);
        body = checked(v.body, read.value, 'VALIDATION_BODY');
        rawBody = read.text;
      }
      const result = await r.handle({ params, query, headers, body, rawBody });
      const check =
        deps.validateResponses && result.text === undefined
          ? v.responses.get(result.status ?? 200)
          : undefined;
      if (check && !check(result.body)) {
        throw new Error(
          `response of ${r.operationId} breaks its schema: ${JSON.stringify(violations(check.errors))}`,
        );
      }
      send(res, result);
    } catch (err) {
      sendError(res, toApiError(err, deps.logger), deps.metrics);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.observe(r.operationId, r.method, res.statusCode, seconds);
    }
  };
}

export function mountRoutes(app: Express, routes: readonly Route[], deps: RouterDeps): void {
  const methodsByPath = new Map<string, string[]>();
  for (const r of routes) {
    app[r.method](expressPath(r.path), handler(r, deps));
    methodsByPath.set(r.path, [...(methodsByPath.get(r.path) ?? []), r.method.toUpperCase()]);
  }
  // A known path with another method: 405 with Allow, instead of a misleading 404.
  for (const [path, methods] of methodsByPath) {
    app.all(expressPath(path), (_req, res) => {
      const allow = methods.join(', ');
      const err = new ApiError(
        'METHOD_NOT_ALLOWED',
        `Allowed: ${allow}.`,
        { allow: methods },
        { Allow: allow },
      );
      sendError(res, err, deps.metrics);
      deps.metrics.observe('unmatched', _req.method.toLowerCase(), 405, 0);
    });
  }
}
