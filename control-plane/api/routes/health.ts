/** Health, readiness, metrics and the OpenAPI document itself. */
import type { Registry } from 'prom-client';
import { renderMetrics } from '../../telemetry/metrics-endpoint';
import type { OpenApiDocument } from '../openapi/document';
import { ref, route, type Route } from '../route';
import type { RouteDeps } from './deps';

export function healthRoutes(d: RouteDeps, registry: Registry, doc: () => OpenApiDocument): Route[] {
  return [
    route({
      operationId: 'healthz',
      method: 'get',
      path: '/healthz',
      tag: 'health',
      public: true,
      summary: 'Liveness: the process serves HTTP.',
      responses: { 200: { description: 'Alive.', schema: ref('Health') } },
      errors: [],
      handle: async () => ({ body: { status: 'ok' } }),
    }),
    route({
      operationId: 'readyz',
      method: 'get',
      path: '/readyz',
      tag: 'health',
      public: true,
      summary: 'Readiness, per dependency (store reachable, plan loaded, ...).',
      description:
        'Ready while the service can serve a plan. A dependency whose failure leaves the last plan in ' +
        'force (degradesOnly) makes it degraded, not unready: an unready pod leaves its Service, and the ' +
        'proxies could not reconnect to the plan it still serves.',
      responses: {
        200: { description: 'Every dependency is ok, or only degrades.', schema: ref('Readiness') },
        503: { description: 'At least one that matters is not; see checks.', schema: ref('Readiness') },
      },
      errors: [],
      handle: async () => {
        let checks;
        try {
          checks = await d.state.readiness();
        } catch (err) {
          checks = [{ name: 'state', ok: false, detail: err instanceof Error ? err.message : String(err) }];
        }
        const ready = checks.length > 0 && checks.every((c) => c.ok || c.degradesOnly === true);
        const degraded = checks.some((c) => !c.ok);
        return { status: ready ? 200 : 503, body: { ready, degraded, checks } };
      },
    }),
    route({
      operationId: 'metrics',
      method: 'get',
      path: '/metrics',
      tag: 'health',
      summary: 'Prometheus metrics of the whole process (text format).',
      responses: { 200: { description: 'Metrics.', mediaType: 'text/plain', schema: { type: 'string' } } },
      errors: [],
      handle: async () => {
        const m = await renderMetrics(registry);
        return { status: m.status, text: m.body, contentType: m.contentType };
      },
    }),
    route({
      operationId: 'openapi',
      method: 'get',
      path: '/openapi.json',
      tag: 'health',
      summary: 'This OpenAPI 3.1 document.',
      responses: { 200: { description: 'The document.', schema: { type: 'object' } } },
      errors: [],
      handle: async () => ({ body: doc() }),
    }),
  ];
}
