/**
 * The /metrics response: the registry in Prometheus text format. `renderMetrics` is what the API's
 * /metrics route returns; `metricsHandler` mounts the same on a bare Node http server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

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
