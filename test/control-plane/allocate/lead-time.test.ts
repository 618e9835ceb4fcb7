import * as assert from 'node:assert/strict';
import { allocate } from '../../../control-plane/allocate/allocate';
import { batchOf, CAP10, instances, perSlotDemand, testPolicy } from './helpers';

const MIN = 60_000;

/** One user whose forecast is `slots` at step `at` of a batch issued at 0, and nothing elsewhere. */
const spike = (at: number, slots = 2) =>
  batchOf(['u'], (_u, r, _q, h) => (h === at ? perSlotDemand(slots)(r) : 0), { horizon: 10 });

describe('allocate: reservations are in place the lead time before the demand', () => {
  for (const [leadS, firstPlanMin] of [
    [0, 3],
    [60, 2],
    [120, 1],
    [300, 0],
  ] as const) {
    it(`with lead time ${leadS}s, a demand at minute 3 is first reserved by the plan of minute ${firstPlanMin}`, () => {
      const policy = testPolicy(`leadTime: ${leadS}s`);
      const inst = instances(1, CAP10);
      let current;
      const reservedAt: number[] = [];
      for (let m = 0; m <= 4; m++) {
        const r = allocate({
          nowMs: m * MIN,
          cycleMs: MIN,
          forecast: spike(3),
          policy,
          instances: inst,
          current,
        });
        current = r.plan;
        const res = r.plan.reservations.get('u');
        if (res && res.slots > 0) {
          reservedAt.push(m);
          assert.ok(
            res.notBeforeMs <= 3 * MIN - leadS * 1000 || m * MIN > 3 * MIN - leadS * 1000,
            'in force early enough',
          );
          assert.ok(res.expiresMs > (m + 1) * MIN, 'valid until the next plan at least');
        }
      }
      assert.equal(reservedAt[0], firstPlanMin);
      assert.deepEqual(
        reservedAt,
        Array.from({ length: 4 - firstPlanMin }, (_, k) => firstPlanMin + k),
      );
      // The plan issued one cycle before is the last one before the demand that can still add capacity
      // the lead time ahead: reservedAt[0] + 1 cycle + lead >= demand.
      assert.ok(firstPlanMin * MIN + MIN + leadS * 1000 > 3 * MIN);
      assert.ok(firstPlanMin === 0 || (firstPlanMin - 1) * MIN + MIN + leadS * 1000 <= 3 * MIN);
    });
  }

  it('covers every step from now until the next plan plus the lead time at the tier quantile', () => {
    const policy = testPolicy('leadTime: 120s');
    const f = batchOf(['u'], (_u, r, _q, h) => perSlotDemand([1, 2, 5, 9, 1, 1, 1, 1][h])(r), { horizon: 8 });
    const at = (m: number) =>
      allocate({
        nowMs: m * MIN,
        cycleMs: MIN,
        forecast: f,
        policy,
        instances: instances(1, CAP10),
      }).plan.reservations.get('u')?.slots ?? 0;
    assert.equal(at(0), 5, 'steps 0-2 (now .. now + 60s cycle + 120s lead)');
    assert.equal(at(1), 9, 'steps 1-3');
    assert.equal(at(4), 1, 'steps 4-6');
  });

  it('reads a forecast issued earlier from the step that is now current', () => {
    const f = batchOf(['u'], (_u, r, _q, h) => perSlotDemand(h + 1)(r), { horizon: 6 });
    const r = allocate({
      nowMs: 150_000,
      cycleMs: MIN,
      forecast: f,
      policy: testPolicy('leadTime: 0s'),
      instances: instances(1, CAP10),
    });
    assert.equal(r.plan.reservations.get('u')!.slots, 3, 'minute 2.5 is step 2: the window is steps 2 only');
  });
});

describe('allocate: scaling recommendations', () => {
  const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
  const policy = () =>
    testPolicy(
      'leadTime: 60s\nscaling: { minInstances: 1, maxInstances: 50, targetUtilization: 1, maxScaleInStep: 2 }',
    );

  it('asks for instances in time for a forecast rise, at step time minus the lead time', () => {
    // 10 users x 1 slot now; 10 users x 4 slots from minute 6: 40 slots need 4 instances.
    const f = batchOf(users, (_u, r, _q, h) => perSlotDemand(h >= 6 ? 4 : 1)(r), { horizon: 10 });
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: MIN,
      forecast: f,
      policy: policy(),
      instances: instances(2, CAP10),
    });
    assert.equal(plan.scaling.length, 1);
    const [rec] = plan.scaling;
    assert.equal(rec.instanceClass, 'standard');
    assert.equal(rec.desired, 4);
    assert.equal(rec.delta, 2);
    // Minute 6's demand must be held from the lead time (60s) before: by the plan of minute 5.
    assert.equal(rec.neededAtMs, 6 * MIN - 60_000);
    assert.match(rec.reason, /forecast needs 4 \(slots\)/);
  });

  it('never scales in ahead of a forecast peak', () => {
    const f = batchOf(users, (_u, r, _q, h) => perSlotDemand(h === 9 ? 3 : 0)(r), { horizon: 10 });
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: MIN,
      forecast: f,
      policy: policy(),
      instances: instances(3, CAP10),
    });
    assert.deepEqual(plan.scaling, [], '3 instances are idle now but needed at minute 9');
  });

  it('scales in a few at a time when the whole horizon needs fewer', () => {
    const f = batchOf(users, (_u, r) => perSlotDemand(1)(r), { horizon: 10 });
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: MIN,
      forecast: f,
      policy: policy(),
      instances: instances(6, CAP10),
    });
    assert.equal(plan.scaling.length, 1);
    assert.equal(plan.scaling[0].delta, -2, 'maxScaleInStep');
    assert.equal(plan.scaling[0].desired, 4);
  });

  it('keeps the minimum instance count', () => {
    const f = batchOf(users, () => 0, { horizon: 10 });
    const p = testPolicy('scaling: { minInstances: 2, maxScaleInStep: 10 }');
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: MIN,
      forecast: f,
      policy: p,
      instances: instances(5, CAP10),
    });
    assert.equal(plan.scaling[0].desired, 2);
  });
});
