import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { recentPeaks } from '../../../control-plane/allocate/peak-hold';
import type { DemandWindows, ResourceKind } from '../../../control-plane/domain/demand';
import { batchOf, instances, testPolicy, withTierField } from './helpers';

const BIG = { slots: 1000, cpuMillicores: 1e6, memoryMb: 1e6, bandwidthKbps: 1e9 };
const RES: readonly ResourceKind[] = ['requests', 'concurrency'];

/** History of `steps` one-minute steps; concurrency of user u at step t from fn, requests 10 times that. */
function history(users: string[], steps: number, fn: (u: number, t: number) => number): DemandWindows {
  const values = new Float32Array(users.length * RES.length * steps);
  for (let u = 0; u < users.length; u++)
    for (let t = 0; t < steps; t++) {
      values[(u * RES.length + 1) * steps + t] = fn(u, t);
      values[u * RES.length * steps + t] = 10 * fn(u, t);
    }
  return { users, resources: RES, startMs: 0, stepMs: 60_000, steps, values };
}

function withHold(ms: number) {
  const policy = testPolicy();
  for (const t of policy.tiers) t.holdPeakMs = ms;
  return policy;
}

describe('allocate: peak hold (holdPeak)', () => {
  // 'busy' peaked at 6 in flight 3 steps ago and 9 twelve steps ago; 'quiet' peaked at 4 likewise.
  const users = ['busy', 'quiet'];
  const past = history(users, 20, (u, t) => (t === 16 ? 6 - 2 * u : t === 7 ? 9 : 1));
  // The forecast's q0.9 is 2 in flight and 20 requests a minute for 'busy', nothing for 'quiet'.
  const forecast = () =>
    batchOf(users, (u, r) =>
      u !== 0 ? 0 : r === 'concurrency' ? 2 : r === 'memory' ? 512 : r === 'requests' ? 20 : 0,
    );

  it('raises slots to the largest concurrency of the hold, only where something is forecast', () => {
    const run = (ms: number) =>
      allocate({
        nowMs: 0,
        cycleMs: 60_000,
        forecast: forecast(),
        policy: withHold(ms),
        instances: instances(1, BIG),
        history: past,
      });
    assert.equal(run(0).plan.reservations.get('busy')?.slots, 2, 'off: the quantile');
    assert.equal(run(0).plan.reservations.get('busy')?.ratePerMinute, 20);
    const five = run(5 * 60_000).plan;
    assert.equal(five.reservations.get('busy')?.slots, 6, 'the last 5 steps peaked at 6');
    assert.equal(five.reservations.get('busy')?.memoryMb, 1536, 'memory comes along at 256 MB a slot');
    assert.equal(five.reservations.get('busy')?.ratePerMinute, 60, 'and the rate is the peak minute');
    assert.equal(five.reservations.get('quiet')?.slots ?? 0, 0, 'nothing forecast: no hold');
    assert.equal(run(15 * 60_000).plan.reservations.get('busy')?.slots, 9, '15 steps reach the 9');
  });

  it('reads the history by user name when its order differs from the forecast, and skips unknown users', () => {
    const policy = withHold(5 * 60_000);
    const tier = new Uint16Array(3);
    const peaks = recentPeaks(['quiet', 'busy', 'new'], tier, policy, past)!;
    assert.deepEqual([...peaks.slots.subarray(0, 2)], [4, 6]);
    assert.deepEqual([...peaks.requests.subarray(0, 2)], [40, 60]);
    assert.ok(Number.isNaN(peaks.slots[2]) && Number.isNaN(peaks.requests[2]));
    assert.equal(recentPeaks(users, tier, testPolicy(), past), undefined, 'no tier holds: nothing computed');
    assert.equal(recentPeaks(users, tier, policy, undefined), undefined);
  });

  it('holds the peak rate per minute whatever the history step', () => {
    // The same peak step of 'busy' (6 in flight, 60 requests in that step) on 10 s and on 5 min steps.
    for (const stepMs of [10_000, 300_000]) {
      const w = { ...past, stepMs };
      const perMinute = (60 * 60_000) / stepMs;
      const peaks = recentPeaks(users, new Uint16Array(2), withHold(5 * stepMs), w)!;
      assert.equal(peaks.requests[0], perMinute, `${stepMs} ms steps`);
      const plan = allocate({
        nowMs: 0,
        cycleMs: 60_000,
        forecast: forecast(),
        policy: withHold(5 * stepMs),
        instances: instances(1, BIG),
        history: w,
      }).plan;
      assert.equal(
        plan.reservations.get('busy')?.ratePerMinute,
        Math.max(20, perMinute),
        `${stepMs} ms steps`,
      );
    }
  });

  it("stays within the tier's caps and above minSlots", () => {
    const run = (max: Partial<Record<'slots' | 'ratePerMinute' | 'memoryMb', number>>, minSlots = 0) => {
      const policy = withHold(5 * 60_000);
      for (const t of policy.tiers) {
        Object.assign(t.max, max);
        t.minSlots = minSlots;
      }
      return allocate({
        nowMs: 0,
        cycleMs: 60_000,
        forecast: forecast(),
        policy,
        instances: instances(1, BIG),
        history: past,
      }).plan.reservations.get('busy');
    };
    const capped = run({ slots: 4, ratePerMinute: 45, memoryMb: 900 });
    assert.deepEqual([capped?.slots, capped?.ratePerMinute, capped?.memoryMb], [4, 45, 900]);
    assert.equal(run({}, 8)?.slots, 8, 'a minSlots above the peak wins');
    assert.equal(run({}, 8)?.memoryMb, 2048, 'and brings its memory');
  });

  it('accepts holdPeak as a duration in YAML and rejects negative ones', () => {
    assert.equal(testPolicy().tiers[0].holdPeakMs ?? 0, 0);
    assert.equal(withTierField('holdPeak', '10m').tiers[0].holdPeakMs, 600_000);
    assert.throws(() => withTierField('holdPeak', '-1m'), /holdPeak/);
    assert.throws(() => withTierField('holdPeak', 'ten'), /holdPeak/);
  });
});
