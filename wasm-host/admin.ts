// The two admin paths an Envoy in front of Earmark exposes to scrapers (envoy/envoy.yaml routes
// only these from its :9902 listener to the admin interface): `/stats/prometheus` (the plugin's
// metrics, prometheus.ts) and `/ready` ("LIVE"). Loopback only unless the caller says otherwise,
// like Envoy's admin; anything else is 404, any method but GET/HEAD 405.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics';
import { prometheusText } from './prometheus';

export interface AdminServer {
  /** http://host:port, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

export interface AdminOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
}

export function startAdmin(metrics: Metrics, o: AdminOptions = {}): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const body =
      path === '/stats/prometheus' ? prometheusText(metrics) : path === '/ready' ? 'LIVE\n' : undefined;
    if (body === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('invalid path. admin commands are: /ready, /stats/prometheus\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    res.writeHead(200, {
      'content-type':
        path === '/ready' ? 'text/plain; charset=UTF-8' : 'text/plain; version=0.0.4; charset=UTF-8',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const host = o.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
