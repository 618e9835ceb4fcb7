/**
 * Builds the HTTP API: routes → OpenAPI document → validators → express app, from one route list.
 * The service passes its ControlPlaneState, tokens and Prometheus registry; nothing here starts a
 * server (server.ts does), so tests drive the app on an ephemeral port.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import { BearerAuth } from './auth';
import { BodyReader } from './body';
import { mountDashboard } from './dashboard-static';
import { ApiError } from './errors';
import { stderrLogger, type Logger } from './logger';
import { ApiMetrics } from './metrics';
import { buildDocument, type OpenApiDocument } from './openapi/document';
import { SCHEMAS } from './openapi/schemas';
import { OpenApiValidator } from './openapi/validator';
import { allocatePolicyModel } from './allocate-policy-model';
import type { PolicyModel } from './policy-model';
import type { ControlPlaneState } from './port';
import { mountRoutes, sendError, toApiError } from './router';
import type { Route } from './route';
import { cycleRoutes } from './routes/cycle';
import { demandRoutes } from './routes/demand';
import type { RouteDeps } from './routes/deps';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { instanceRoutes } from './routes/instances';
import { planRoutes } from './routes/plan';
import { policyRoutes } from './routes/policy';
import { userRoutes } from './routes/users';
import { KeyedMutex } from './serialize';

export interface ApiOptions {
  state: ControlPlaneState;
  /** Accepted bearer tokens (at least one non-empty). */
  tokens: readonly string[];
  /** The process registry (telemetry/createRegistry); the API adds its metrics and serves it. */
  registry: Registry;
  /** Policy validation and tier access; default: the allocator's (allocate-policy-model.ts). */
  policy?: PolicyModel;
  /** The service clock's now(); default Date.now. */
  now?: () => number;
  /** Default 1 MiB (the apiBodyLimitBytes setting). */
  bodyLimitBytes?: number;
  /** Serve /dashboard; `public` serves its static files without the token. Default { public: true }. */
  dashboard?: { public: boolean } | false;
  logger?: Logger;
  /** Check every JSON response against the document (tests). Default false. */
  validateResponses?: boolean;
  newId?: () => string;
  version?: string;
}

export interface Api {
  app: Express;
  document: OpenApiDocument;
  routes: readonly Route[];
}

function schemasFor(policy: PolicyModel) {
  return {
    ...SCHEMAS,
    ...(policy.documentSchema && { PolicyDocument: policy.documentSchema }),
    ...(policy.tierSchema && { Tier: policy.tierSchema }),
  };
}

export function createApi(options: ApiOptions): Api {
  const logger = options.logger ?? stderrLogger;
  const policy = options.policy ?? allocatePolicyModel;
  const deps: RouteDeps = {
    state: options.state,
    policy,
    now: options.now ?? Date.now,
    mutex: new KeyedMutex(),
    newId: options.newId ?? (() => randomUUID()),
  };
  const routes: Route[] = [
    ...healthRoutes(deps, options.registry, () => document),
    ...userRoutes(deps),
    ...demandRoutes(deps),
    ...policyRoutes(deps),
    ...eventRoutes(deps),
    ...planRoutes(deps),
    ...cycleRoutes(deps),
    ...instanceRoutes(deps),
  ];
  // The closure above reads it only when /openapi.json is requested, after this line has run.
  const document = buildDocument(routes, schemasFor(policy), options.version ?? '1');

  const app = express();
  app.disable('x-powered-by');
  // Our ETags are policy versions; express's automatic body ETags would answer 304s nobody asked for.
  app.set('etag', false);
  const auth = new BearerAuth(options.tokens);
  const metrics = new ApiMetrics(options.registry);
  mountRoutes(app, routes, {
    auth,
    body: new BodyReader(options.bodyLimitBytes ?? 1024 * 1024),
    validator: OpenApiValidator.for(document),
    metrics,
    logger,
    validateResponses: options.validateResponses ?? false,
  });
  const dashboard = options.dashboard ?? { public: true };
  if (dashboard) {
    app.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
    mountDashboard(app, {
      public: dashboard.public,
      auth,
      onError: (res, err) => sendError(res, err, metrics),
    });
  }
  app.use((req, res) => {
    sendError(res, new ApiError('ROUTE_NOT_FOUND', `No route ${req.method} ${req.path}.`), metrics);
    metrics.observe('unmatched', req.method.toLowerCase(), 404, 0);
  });
  // Errors raised outside route handlers (e.g. a path that is not valid percent-encoding).
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = (err as { status?: number }).status;
    const apiErr =
      status === 400 ? new ApiError('VALIDATION_PATH', (err as Error).message) : toApiError(err, logger);
    sendError(res, apiErr, metrics);
  });
  return { app, document, routes };
}
