import * as assert from 'node:assert/strict';
import { allocate } from '../../../control-plane/allocate/allocate';
import { CapacityLedger, shortfallToExtra, topUp } from '../../../control-plane/allocate/top-up';
import type { UserUsage } from '../../../control-plane/domain/usage';
import { batchOf, CAP10, instances, perSlotDemand, profiles, testPolicy } from './helpers';

function setup() {
  const policy = testPolicy();
  policy.tiers[1].max.slots = 4; // free users hold at most 4 slots
  const inst = instances(1, CAP10);
  const users = ['g', 'f', 'other'];
  const forecast = batchOf(users, (u, r) => perSlotDemand([3, 2, 1][u])(r));
  const result = allocate({
    nowMs: 0,
    cycleMs: 60_000,
    forecast,
    policy,
    instances: inst,
    profiles: profiles({ g: 'gold', f: 'free', other: 'gold' }),
  });
  return { policy, inst, ...result };
}

describe('allocate: top-up between cycles', () => {
  it('grants a shortfall from free capacity at once, changing only that user', () => {
    const { plan, ledger } = setup();
    const before = new Map(plan.reservations);
    const r = ledger.topUp({ user: 'g', extra: { slots: 2, ratePerMinute: 120, memoryMb: 20 } });
    assert.equal(r.complete, true);
    assert.equal(r.reason, 'granted');
    assert.deepEqual(r.added, {
      slots: 2,
      ratePerMinute: 120,
      cpuMillicores: 0,
      memoryMb: 20,
      bandwidthKbps: 0,
    });
    assert.equal(plan.reservations.get('g'), r.reservation, 'the plan holds the new reservation');
    assert.equal(r.reservation!.slots, 5);
    assert.equal(r.reservation!.ratePerMinute, 180 + 120);
    assert.equal(r.reservation!.expiresMs, before.get('g')!.expiresMs, 'same validity window');
    assert.equal(plan.reservations.get('f'), before.get('f'));
    assert.equal(plan.reservations.get('other'), before.get('other'));
    assert.equal(ledger.free('i0')!.slots, 10 - 6 - 2);
  });

  it('never grants beyond the free capacity of the user’s instance', () => {
    const { plan, ledger } = setup();
    const r = ledger.topUp({ user: 'g', extra: { slots: 50 } });
    assert.equal(r.complete, false);
    assert.equal(r.added.slots, 4, '10 slots less the 6 held');
    assert.match(r.reason, /instance i0 has no free slots/);
    const again = ledger.topUp({ user: 'other', extra: { slots: 1 } });
    assert.equal(again.added.slots, 0);
    const held = [...plan.reservations.values()].reduce((s, x) => s + x.slots, 0);
    assert.equal(held, 10);
  });

  it('respects the tier’s caps', () => {
    const { ledger } = setup();
    const r = ledger.topUp({ user: 'f', extra: { slots: 3 } });
    assert.equal(r.added.slots, 2, 'free is capped at 4 and holds 2');
    assert.match(r.reason, /tier free caps slots at 4/);
  });

  it('says so for a user without a reservation, and changes nothing', () => {
    const { plan, ledger } = setup();
    const n = plan.reservations.size;
    const r = ledger.topUp({ user: 'nobody', extra: { slots: 1 } });
    assert.equal(r.reservation, undefined);
    assert.equal(r.reason, 'user has no reservation');
    assert.equal(plan.reservations.size, n);
  });

  it('tops up a stored plan (a ledger rebuilt from the plan and the instances)', () => {
    const { plan, policy, inst } = setup();
    const r = topUp(plan, { user: 'g', extra: { slots: 3 } }, { instances: inst, policy, nowMs: 0 });
    assert.equal(r.added.slots, 3);
    const l = CapacityLedger.fromPlan(plan, inst, policy, undefined, 0);
    assert.equal(l.free('i0')!.slots, 1);
  });

  it('turns a usage report’s shortfall into extra rate and, when saturated, slots', () => {
    const { plan, policy } = setup();
    const g = plan.reservations.get('g')!; // 3 slots, 30 mCPU, 30 MB, 300 kbps
    const usage: UserUsage = {
      user: 'g',
      requests: 40,
      admitted: 30,
      queued: 0,
      queueWaitMs: 0,
      queueWaitMaxMs: 0,
      throttled: 10,
      redirected: 0,
      peakInFlight: 3,
      bytesIn: 0,
      bytesOut: 0,
      shortfall: 10,
      unreserved: 0,
    };
    const extra = shortfallToExtra(usage, 10_000, g, policy);
    assert.deepEqual(extra, {
      ratePerMinute: 60,
      slots: 1,
      cpuMillicores: 10,
      memoryMb: 10,
      bandwidthKbps: 100,
    });
    assert.deepEqual(
      shortfallToExtra({ ...usage, peakInFlight: 1 }, 10_000, g, policy).slots,
      0,
      'rate-bound, not slot-bound',
    );
    assert.deepEqual(shortfallToExtra({ ...usage, shortfall: 0 }, 10_000, g, policy), {});
  });
});
