/** The pure pieces behind StoreState: forecast series assembly and the cached latest plan. */
import { strict as assert } from 'node:assert';
import { forecastSeries } from '../../../control-plane/api/state/forecast-series';
import { LatestPlan } from '../../../control-plane/api/state/latest-plan';
import { proxyStatusOf } from '../../../control-plane/api/state/proxy-status';
import type { NodeStatus } from '../../../control-plane/distribute';
import type { StoredForecast } from '../../../control-plane/store';
import * as seed from './support/seed';

const step = 60_000;
const f = (targetMs: number, issuedAtMs: number, q: Record<number, number>, model = 'm'): StoredForecast => ({
  user: 'u',
  resource: 'requests',
  horizon: (targetMs - issuedAtMs) / step + 1,
  targetMs,
  issuedAtMs,
  model,
  quantiles: q,
});

describe('api: StoreState helpers', () => {
  it('lays the most recently issued forecast on each step, quantiles ascending', () => {
    const s = forecastSeries(
      'u',
      'requests',
      [
        f(2 * step, 0, { 0.9: 9, 0.5: 5 }, 'old'),
        f(2 * step, step, { 0.5: 6, 0.9: 10 }, 'new'),
        f(3 * step, step, { 0.5: 7, 0.9: 11 }, 'new'),
        { ...f(3 * step, 2 * step, { 0.5: 1 }), resource: 'cpu' },
      ],
      step,
    )!;
    assert.deepEqual(s.quantiles, [0.5, 0.9]);
    assert.deepEqual(
      s.points.map((p) => [p.atMs, p.issuedAtMs, p.values]),
      [
        [2 * step, step, [6, 10]],
        [3 * step, step, [7, 11]],
      ],
    );
    assert.equal(s.model, 'new');
    assert.equal(forecastSeries('u', 'memory', [f(step, 0, { 0.5: 1 })], step), undefined);
  });

  it('caches a found plan, asks again while there is none, and keeps the last good plan on errors', async () => {
    let now = 0;
    let reads = 0;
    let answer: () => Promise<ReturnType<typeof seed.plan> | undefined> = async () => undefined;
    const latest = new LatestPlan(
      () => {
        reads++;
        return answer();
      },
      () => now,
      1000,
    );
    assert.equal(await latest.get(), undefined);
    assert.equal(await latest.get(), undefined);
    assert.equal(reads, 2, 'no plan is not cached');
    const plan = seed.plan(2, seed.instances(1), 0);
    answer = async () => plan;
    assert.equal(await latest.get(), plan);
    now = 999;
    assert.equal(await latest.get(), plan);
    assert.equal(reads, 3, 'cached within refreshMs');
    now = 2000;
    answer = async () => Promise.reject(new Error('influx down'));
    assert.equal(await latest.get(), plan, 'last good plan kept');
    const [a, b] = await Promise.all([latest.get(), latest.get()]);
    assert.equal(a, b);
  });
});

describe('api: proxy status from the distribution server', () => {
  it("maps a node's ACKed plan version, lag and last NACK", () => {
    const node = {
      nodeId: 'envoy-1',
      connected: true,
      ackedSystemVersion: 'plan-7',
      revisionsBehind: 2,
      msBehind: 1500,
      nacks: 1,
      lastNack: { nonce: 'n', atMs: 1, code: 3, message: 'ttl out of range', resources: 1 },
    } as NodeStatus;
    assert.deepEqual(proxyStatusOf(node), {
      nodeId: 'envoy-1',
      connected: true,
      ackedVersion: 'plan-7',
      revisionsBehind: 2,
      secondsBehind: 1.5,
      nacks: 1,
      lastNack: 'ttl out of range',
    });
    const fresh = proxyStatusOf({ ...node, ackedSystemVersion: '', lastNack: undefined, nacks: 0 });
    assert.equal(fresh.ackedVersion, undefined);
    assert.equal(fresh.lastNack, undefined);
  });
});
