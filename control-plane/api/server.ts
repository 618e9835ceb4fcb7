/**
 * Listens with an API app (or any request listener: the metrics-only listener of telemetry/ uses
 * it too); close() also ends idle keep-alive connections so shutdown is prompt.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiServer {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

export function startApiServer(app: http.RequestListener, host = '127.0.0.1', port = 0): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    // Slow or stalled clients must not hold sockets forever.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${shownHost}:${addr.port}`,
        port: addr.port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
