/**
 * Readiness and the read watchdog (api/state/store-health.ts) judge InfluxDB by /ping. With every
 * query socket busy on slow queries, a ping queued behind them would be late and a busy but
 * healthy InfluxDB would count as hung: /ping has a socket of its own.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxHttp } from '../../../control-plane/store/influx/http-client';

describe('store client: /ping beside busy queries', function () {
  this.timeout(10_000);
  let server: http.Server;
  const held: http.ServerResponse[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/ping') {
        res.writeHead(204).end();
        return;
      }
      held.push(res); // a slow query: answered only at the end of the test
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    for (const res of held) res.end('{"results":[{}]}');
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers while all 16 query sockets wait', async () => {
    const client = new InfluxHttp({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const queries = Array.from({ length: 20 }, () => client.query('SELECT 1').catch(() => undefined));
    while (held.length < 16) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const ok = await client.ping(1000);
    assert.equal(ok, true);
    assert.ok(performance.now() - t0 < 500, `ping took ${(performance.now() - t0).toFixed(0)} ms`);
    client.close();
    void Promise.all(queries);
  });
});
