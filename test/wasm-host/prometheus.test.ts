/**
 * The plugin's metrics as Envoy's /stats/prometheus prints them (wasm-host/prometheus.ts), and the
 * admin server that serves them (wasm-host/admin.ts), on the compiled filter where it matters.
 */
import { strict as assert } from 'node:assert';
import { ENVOY_DEFAULT_BUCKETS, prometheusText, startAdmin } from '../../wasm-host';
import { Metrics } from '../../wasm-host/metrics';
import { startFilter, type Harness } from '../plugin/support/harness';

/** name → value of every sample line (labels kept in the name), from exposition text. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('wasm-host: metrics as /stats/prometheus', () => {
  it('prints counters, gauges and histograms in that order, each sorted, with TYPE lines', () => {
    const m = new Metrics();
    m.define('gauge', 'zeta_depth').value = -2;
    m.define('counter', 'b_requests').value = 7;
    m.define('counter', 'a_requests').value = 3;
    m.define('histogram', 'wait_ms');
    assert.equal(
      prometheusText(m)
        .split('\n')
        .filter((l) => l.startsWith('# TYPE'))
        .join('|'),
      '# TYPE a_requests counter|# TYPE b_requests counter|# TYPE zeta_depth gauge|# TYPE wait_ms histogram',
    );
    const s = samples(prometheusText(m));
    assert.equal(s.get('a_requests'), 3);
    assert.equal(s.get('zeta_depth'), -2);
    assert.equal(s.get('wait_ms_count'), 0);
  });

  it("buckets are cumulative over Envoy's default bounds, with +Inf, _sum and _count", () => {
    const m = new Metrics();
    const h = m.define('histogram', 'wait_ms');
    // On a bound counts in that bucket (le), above the last bound only in +Inf.
    for (const v of [0.4, 0.5, 1, 7, 10, 3_600_000, 4_000_000]) Metrics.record(h, v);
    const s = samples(prometheusText(m));
    const le = (b: string) => s.get(`wait_ms_bucket{le="${b}"}`);
    assert.equal(le('0.5'), 2);
    assert.equal(le('1'), 3);
    assert.equal(le('5'), 3);
    assert.equal(le('10'), 5);
    assert.equal(le('1800000'), 5);
    assert.equal(le('3600000'), 6);
    assert.equal(le('+Inf'), 7);
    assert.equal(s.get('wait_ms_count'), 7);
    assert.equal(s.get('wait_ms_sum'), 0.4 + 0.5 + 1 + 7 + 10 + 3_600_000 + 4_000_000);
    assert.equal(
      [...s.keys()].filter((k) => k.startsWith('wait_ms_bucket')).length,
      ENVOY_DEFAULT_BUCKETS.length + 1,
    );
  });

  it('sanitizes names as Envoy does and leaves out those that are not Prometheus names', () => {
    const m = new Metrics();
    m.define('counter', 'earmark.requests-total').value = 1;
    m.define('counter', '9lives').value = 1;
    const s = samples(prometheusText(m));
    assert.deepEqual([...s.keys()], ['earmark_requests_total']);
  });

  describe('on the compiled filter, through the admin server', () => {
    let h: Harness;
    let admin: Awaited<ReturnType<typeof startAdmin>>;
    before(async () => {
      h = startFilter();
      h.fresh();
      h.plant('alice', { address: '10.0.0.9:8080', slots: 4 });
      for (let i = 0; i < 5; i++) h.request('alice').finish();
      h.request(undefined).finish(); // no identity
      h.metric('earmark_requests_total'); // a tick flushes the workers' counters
      admin = await startAdmin(h.envoy.metrics);
    });
    after(async () => {
      await admin?.close();
      await h?.envoy.close();
    });

    it('serves the same values the host keeps, in the exposition format', async () => {
      const res = await fetch(`${admin.url}/stats/prometheus`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const s = samples(await res.text());
      assert.equal(s.get('earmark_requests_total'), 6);
      assert.equal(s.get('earmark_requests_admitted'), h.envoy.metrics.counter('earmark_requests_admitted'));
      assert.equal(s.get('earmark_requests_admitted'), 5);
      assert.equal(s.get('earmark_identity_missing'), 1);
      assert.ok(s.has('earmark_queue_wait_ms_bucket{le="+Inf"}'), 'the queue-wait histogram');
      assert.ok(s.has('earmark_plan_stale'), 'the plan gauge');
    });

    it('answers /ready, refuses other paths and methods', async () => {
      const ready = await fetch(`${admin.url}/ready`);
      assert.equal(ready.status, 200);
      assert.equal(await ready.text(), 'LIVE\n');
      assert.equal((await fetch(`${admin.url}/stats`)).status, 404);
      assert.equal((await fetch(`${admin.url}/stats/prometheus`, { method: 'POST' })).status, 405);
    });
  });
});
