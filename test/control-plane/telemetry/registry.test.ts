import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, register as globalRegistry } from 'prom-client';
import {
  createRegistry,
  metricsHandler,
  renderMetrics,
  startMetricsServer,
} from '../../../control-plane/telemetry';

import pkg from '../../../package.json';

describe('telemetry: the process registry', () => {
  it('reports build info, and Node process metrics unless turned off', async () => {
    const withDefaults = await createRegistry().metrics();
    assert.match(
      withDefaults,
      new RegExp(`earmark_build_info\\{version="${pkg.version}",node="${process.versions.node}"\\} 1`),
    );
    assert.match(withDefaults, /^process_cpu_user_seconds_total /m);
    assert.match(withDefaults, /^nodejs_eventloop_lag_seconds /m);
    const bare = await createRegistry({ defaultMetrics: false, version: 'x' }).metrics();
    assert.doesNotMatch(bare, /process_cpu_user_seconds_total/);
    assert.match(bare, /earmark_build_info\{version="x"/);
  });

  it('adds default labels to every series', async () => {
    const r = createRegistry({ defaultMetrics: false, labels: { instance: 'cp-1' } });
    new Counter({ name: 'earmark_test_total', help: 'A test counter.', registers: [r] }).inc(3);
    const text = await r.metrics();
    assert.match(text, /earmark_test_total\{instance="cp-1"\} 3/);
    assert.match(text, /earmark_build_info\{[^}]*instance="cp-1"/);
  });

  it('keeps registries apart: parts of two services register the same names without clashing', async () => {
    const [a, b] = [createRegistry({ defaultMetrics: false }), createRegistry({ defaultMetrics: false })];
    const ca = new Counter({ name: 'earmark_part_events_total', help: 'Events.', registers: [a] });
    const cb = new Counter({ name: 'earmark_part_events_total', help: 'Events.', registers: [b] });
    ca.inc(1);
    cb.inc(5);
    assert.match(await a.metrics(), /earmark_part_events_total 1/);
    assert.match(await b.metrics(), /earmark_part_events_total 5/);
    assert.equal(
      globalRegistry.getSingleMetric('earmark_part_events_total'),
      undefined,
      'nothing on the global registry',
    );
  });

  it('serves the text format on a bare http server, and survives a collect() that throws', async () => {
    const r = createRegistry({ defaultMetrics: false });
    let fail = false;
    new Gauge({
      name: 'earmark_flaky',
      help: 'Throws on demand.',
      registers: [r],
      collect() {
        if (fail) throw new Error('lag source gone');
        this.set(1);
      },
    });
    const server = http.createServer(metricsHandler(r));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const ok = await fetch(url);
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
      assert.match(await ok.text(), /earmark_flaky 1/);
      fail = true;
      const bad = await fetch(url);
      assert.equal(bad.status, 500);
      assert.match(await bad.text(), /metrics collection failed: lag source gone/);
      fail = false;
      assert.equal((await fetch(url)).status, 200, 'still serving');
    } finally {
      server.close();
    }
    assert.equal((await renderMetrics(r)).status, 200);
  });

  it('serves only GET /metrics, without a token, on the metrics-only listener (metricsPort)', async () => {
    const r = createRegistry({ defaultMetrics: false, version: 'm' });
    const m = await startMetricsServer(r, '127.0.0.1', 0);
    try {
      const ok = await fetch(`${m.url}/metrics`);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /earmark_build_info\{version="m"/);
      assert.equal((await fetch(`${m.url}/v1/plan`)).status, 404);
      assert.equal((await fetch(`${m.url}/metrics`, { method: 'POST' })).status, 405);
    } finally {
      await m.close();
    }
    await assert.rejects(fetch(`${m.url}/metrics`), 'closed');
  });
});
