/**
 * The /metrics response: the registry in Prometheus text format. `renderMetrics` is what the API's
 * /metrics route returns; `metricsHandler` mounts the same on a bare Node http server;
 * `startMetricsServer` is the optional metrics-only listener (setting metricsPort).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { startApiServer, type ApiServer } from '../api/server';

export interface RenderedMetrics {
  status: number;
  contentType: string;
  body: string;
}

export async function renderMetrics(registry: Registry): Promise<RenderedMetrics> {
  try {
    return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
  } catch (err) {
    // A part's collect() callback that throws must not take the endpoint down with it.
    const reason = err instanceof Error ? err.message : String(err);
    return {
      status: 500,
      contentType: 'text/plain; charset=utf-8',
      body: `# metrics collection failed: ${reason}\n`,
    };
  }
}

export function metricsHandler(registry: Registry) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const m = await renderMetrics(registry);
    res.statusCode = m.status;
    res.setHeader('Content-Type', m.contentType);
    res.end(m.body);
  };
}

/**
 * A listener that serves only GET /metrics, without the API token: what Prometheus pod annotations
 * and a service mesh's metrics merging (Istio's) can scrape, since neither sends a bearer token. It
 * holds the same counters as the API's /metrics (node ids, stages, error codes; never user ids).
 */
export function startMetricsServer(registry: Registry, host: string, port: number): Promise<ApiServer> {
  const handler = metricsHandler(registry);
  return startApiServer(
    (req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only /metrics here\n');
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else void handler(req, res);
    },
    host,
    port,
  );
}
