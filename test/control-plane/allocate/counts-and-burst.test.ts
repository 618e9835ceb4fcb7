import { strict as assert } from 'node:assert';
import { allocate } from '../../../control-plane/allocate/allocate';
import { burstOf } from '../../../control-plane/allocate/build-plan';
import type { ForecastBatch } from '../../../control-plane/domain/demand';
import { batchOf, instances, testPolicy } from './helpers';

const BIG = { slots: 1000, cpuMillicores: 1e6, memoryMb: 1e6, bandwidthKbps: 1e9 };
/** The plan for a forecast under the test policy, one instance big enough for everything. */
const planOf = (forecast: ForecastBatch) =>
  allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy: testPolicy(), instances: instances(1, BIG) }).plan;

describe('allocate: counts from quantiles, and the rate burst', () => {
  it('holds floor(q) slots for a quantile of requests in flight, and rounds other amounts up', () => {
    // q0.99 of concurrency 1.02 on a series of ones: one slot covers y ≤ 1.02 exactly as often.
    const forecast = batchOf(['ones', 'twos'], (u, r) =>
      r === 'concurrency'
        ? [1.02, 2.97][u]
        : r === 'requests'
          ? [40.6, 90.2][u]
          : r === 'memory'
            ? [102.4, 300.1][u]
            : 0,
    );
    const plan = planOf(forecast);
    const ones = plan.reservations.get('ones')!;
    const twos = plan.reservations.get('twos')!;
    assert.deepEqual([ones.slots, ones.ratePerMinute, ones.memoryMb], [1, 41, 103]);
    assert.deepEqual([twos.slots, twos.ratePerMinute, twos.memoryMb], [2, 91, 301]);
  });

  it('still holds the tier floor when a forecast is above zero but below one', () => {
    const policy = testPolicy();
    for (const t of policy.tiers) t.minSlots = 1;
    const forecast = batchOf(['rare'], (_u, r) => (r === 'concurrency' ? 0.3 : 0));
    const { plan } = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: instances(1, BIG) });
    assert.equal(plan.reservations.get('rare')!.slots, 1);
  });

  it('gives each reservation a bucket of rateBurst worth of its rate (none by default)', () => {
    const forecast = batchOf(['busy'], (_u, r) => (r === 'concurrency' ? 2 : r === 'requests' ? 600 : 0));
    const plain = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast,
      policy: testPolicy(),
      instances: instances(1, BIG),
    });
    assert.equal(plain.plan.reservations.get('busy')!.burst, 0);
    const policy = testPolicy('rateBurst: 10s');
    assert.equal(policy.rateBurstMs, 10_000);
    const r = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: instances(1, BIG) });
    assert.equal(r.plan.reservations.get('busy')!.burst, 100, '10 s of 600 per minute');
    // Unchanged next cycle: the same object is kept (nothing to distribute).
    const again = allocate({
      nowMs: 60_000,
      cycleMs: 60_000,
      forecast,
      policy,
      instances: instances(1, BIG),
      current: r.plan,
    });
    assert.equal(again.plan.reservations.get('busy'), r.plan.reservations.get('busy'));
  });

  it('leaves the burst at the filter default when the rate would not fill more than the slots', () => {
    assert.equal(burstOf(600, 2, 10_000), 100);
    assert.equal(burstOf(6, 2, 10_000), 0);
    assert.equal(burstOf(600, 2, 0), 0);
    assert.equal(burstOf(0, 2, 10_000), 0);
  });
  it('reserves a per-minute rate whatever the forecast step (requests are counted per step)', () => {
    // 30 requests per 30 s step is 60 per minute; the same count per 120 s step is 15 per minute.
    const rateAt = (stepMs: number) => {
      const forecast = {
        ...batchOf(['u'], (_u, r) => (r === 'concurrency' ? 1 : r === 'requests' ? 30 : 0)),
        stepMs,
      };
      const plan = planOf(forecast);
      return plan.reservations.get('u')!.ratePerMinute;
    };
    assert.deepEqual([rateAt(30_000), rateAt(60_000), rateAt(120_000)], [60, 30, 15]);
  });
  it('a slot cap also cuts the memory, CPU and bandwidth the cut slots would occupy', () => {
    // 71 slots forecast at 10 MB, 10 millicores and 100 kbps each, under a cap of 40 slots.
    const policy = testPolicy();
    for (const t of policy.tiers) t.max.slots = 40;
    const per = { concurrency: 1, memory: 10, cpu: 10, bandwidth: 100, requests: 50 };
    const forecast = batchOf(['big'], (_u, r) => 71 * per[r]);
    const { plan } = allocate({ nowMs: 0, cycleMs: 60_000, forecast, policy, instances: instances(1, BIG) });
    const big = plan.reservations.get('big')!;
    assert.deepEqual(
      [big.slots, big.memoryMb, big.cpuMillicores, big.bandwidthKbps, big.ratePerMinute],
      [40, 400, 400, 4000, 3550],
    );
  });
});
