import { strict as assert } from 'node:assert';
import { SimClock } from '../../../control-plane/domain/clock';
import { hashRoute, mergeConfig, ENVOY_YAML_CONFIG, ProxyFleet } from '../../../sim/proxy';
import { reservation, rig, T0, type Rig } from './support';

describe('sim/proxy: emulated Envoy fleet on build/earmark.wasm', function () {
  this.timeout(60_000);
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('applies a published plan over gRPC and routes the user to the reserved instance', async () => {
    r = await rig({ proxies: 2, workers: 2 });
    await r.publish('v1', [reservation('alice'), reservation('bob', { instanceAddress: '10.1.0.2:8080' })]);
    assert.deepEqual(r.fleet.planVersions(), ['v1', 'v1']);
    const held = r.fleet.reservation('alice');
    assert.equal(held?.address, '10.1.0.1:8080');
    assert.equal(held?.slots, 2);
    const a = r.fleet.send('alice');
    assert.equal(a.decision, 'reserved');
    assert.equal(a.target, '10.1.0.1:8080');
    assert.equal(a.waitMs, 0);
    const b = r.fleet.send('bob');
    assert.equal(b.target, '10.1.0.2:8080');
    assert.equal(r.fleet.reservation('alice')?.inFlight, 1);
    a.finish({ bytesOut: 100 });
    assert.equal(r.fleet.reservation('alice')?.inFlight, 0, 'finishing gives the slot back');
  });

  it('queues past the slots, and lets the queued request go when a slot frees', async () => {
    r = await rig();
    await r.publish('v1', [reservation('alice', { slots: 1, onExhausted: 'queue', maxQueueWaitMs: 5000 })]);
    const first = r.fleet.send('alice');
    const second = r.fleet.send('alice');
    assert.equal(first.decision, 'reserved');
    assert.equal(second.decision, 'queued');
    assert.equal(second.settled, false);
    await r.advance(300);
    first.finish();
    // The slot is freed inside finish(); the waiting stream resumes on that or the next tick.
    await r.advance(200);
    assert.equal(second.decision, 'reserved');
    assert.ok(second.wasQueued);
    assert.ok(second.waitMs! >= 300 && second.waitMs! <= 500, `waited ${second.waitMs} ms`);
  });

  it('reports throttling (429 and why), redirects, and a queue timeout', async () => {
    r = await rig();
    await r.publish('v1', [
      reservation('rejecting', { slots: 1, onExhausted: 'reject' }),
      reservation('redirecting', { slots: 1, onExhausted: 'redirect', fallback: 'fallback.svc:8080' }),
      reservation('waiting', { slots: 1, onExhausted: 'queue', maxQueueWaitMs: 500 }),
    ]);
    r.fleet.send('rejecting');
    const refused = r.fleet.send('rejecting');
    assert.equal(refused.decision, 'throttled');
    assert.equal(refused.status, 429);
    assert.equal(refused.reason, 'reservation_exhausted');
    r.fleet.send('redirecting');
    const moved = r.fleet.send('redirecting');
    assert.equal(moved.decision, 'redirected');
    assert.equal(moved.target, 'fallback.svc:8080');
    r.fleet.send('waiting');
    const late = r.fleet.send('waiting');
    await r.advance(1000);
    assert.equal(late.decision, 'throttled');
    assert.equal(late.reason, 'queue_timeout');
    assert.ok(late.wasQueued);
  });

  it('gives the fail-mode decision when no plan can be had (control plane unreachable)', async () => {
    for (const mode of ['open', 'closed'] as const) {
      const clock = new SimClock(T0);
      const fleet = new ProxyFleet({
        clock,
        controlPlane: '127.0.0.1:1',
        token: 'x',
        config: { fail_mode: mode },
      });
      try {
        await clock.advance(1000);
        const q = fleet.send('alice');
        assert.equal(q.decision, mode === 'open' ? 'fail_open' : 'fail_closed');
        assert.equal(q.status, mode === 'open' ? undefined : 503);
        assert.equal(fleet.planVersions()[0], undefined);
      } finally {
        await fleet.close();
      }
    }
  });

  it('exposes the filter metrics and sends usage reports to the control plane', async () => {
    r = await rig({ config: { sync: { report_interval_ms: 1000 } } });
    // burst 0 means "as many as the slots": 10 lets three requests in within the same millisecond.
    await r.publish('v7', [reservation('alice', { burst: 10 })]);
    for (let i = 0; i < 3; i++) r.fleet.send('alice').finish();
    await r.advance(2500);
    const rig_ = r;
    await r.until(() => rig_.reports.some((x) => x.users.some((u) => u.user === 'alice')), 'a usage report');
    const m = r.fleet.metrics();
    assert.equal(m.earmark_requests_total, 3);
    assert.equal(m.earmark_requests_admitted, 3);
    const rows = r.reports.flatMap((x) => x.users.filter((u) => u.user === 'alice'));
    assert.equal(
      rows.reduce((s, u) => s + u.requests, 0),
      3,
    );
    assert.equal(r.reports.find((x) => x.users.length > 0)?.planVersion, 'v7');
    assert.equal(r.fleet.proxies[0].planMeta()?.resources, 1);
  });

  it('follows the driving clock: the proxies see the same time', async () => {
    r = await rig();
    await r.advance(12_345);
    assert.ok(Math.abs(r.fleet.now() - r.clock.now()) <= 100, `${r.fleet.now()} vs ${r.clock.now()}`);
    assert.ok(r.fleet.now() > T0);
  });

  it('routes users to proxies by a stable hash and merges configuration over envoy.yaml', () => {
    assert.equal(hashRoute('alice', 3), hashRoute('alice', 3));
    const spread = new Set(Array.from({ length: 50 }, (_, i) => hashRoute(`user-${i}`, 3)));
    assert.equal(spread.size, 3);
    const c = mergeConfig(ENVOY_YAML_CONFIG, { sync: { report_interval_ms: 1000 }, decision_header: 'x-d' });
    assert.equal((c.sync as Record<string, unknown>).report_interval_ms, 1000);
    assert.equal((c.sync as Record<string, unknown>).cluster, 'earmark_control_plane');
    assert.equal(c.decision_header, 'x-d');
    assert.equal((ENVOY_YAML_CONFIG.sync as Record<string, unknown>).report_interval_ms, 10000);
  });
});
