import * as assert from 'node:assert/strict';
import { allocate } from '../../../control-plane/allocate/allocate';
import type { Policy } from '../../../control-plane/allocate/policy';
import type { ResourceKind } from '../../../control-plane/domain/demand';
import type { Plan } from '../../../control-plane/domain/plan';
import { batchOf, CAP10, instances, perSlotDemand, profiles, testPolicy } from './helpers';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('allocate: higher tiers win under scarcity', () => {
  it('gives gold its full quantile and squeezes free users, saying who and why', () => {
    const users = ['g1', 'g2', 'g3', 'f1', 'f2', 'f3'];
    const forecast = batchOf(users, (_u, r) => perSlotDemand(3)(r));
    const tiers = profiles({ g1: 'gold', g2: 'gold', g3: 'gold', f1: 'free', f2: 'free', f3: 'free' });
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast,
      policy: testPolicy(),
      instances: instances(1, CAP10),
      profiles: tiers,
    });
    for (const g of ['g1', 'g2', 'g3']) assert.equal(plan.reservations.get(g)!.slots, 3, g);
    const free = ['f1', 'f2', 'f3'].map((f) => plan.reservations.get(f)?.slots ?? 0);
    assert.equal(sum(free), 1, 'one slot is left for the free tier');
    assert.deepEqual(plan.squeezed.map((s) => s.user).sort(), ['f1', 'f2', 'f3']);
    for (const s of plan.squeezed) {
      assert.equal(s.tier, 'free');
      assert.equal(s.wanted.slots, 3);
      assert.match(s.reason, /capacity exhausted; tiers gold placed first/);
    }
  });

  it('lets a new gold user take the room of a free user who was staying there', () => {
    const policy = testPolicy();
    const inst = instances(1, CAP10);
    const first = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast: batchOf(['f'], (_u, r) => perSlotDemand(8)(r)),
      policy,
      instances: inst,
    });
    assert.equal(first.plan.reservations.get('f')!.slots, 8);
    const next = allocate({
      nowMs: 60_000,
      cycleMs: 60_000,
      forecast: batchOf(['f', 'g'], (_u, r) => perSlotDemand(8)(r), { issuedAtMs: 60_000 }),
      policy,
      instances: inst,
      current: first.plan,
      profiles: profiles({ g: 'gold', f: 'free' }),
    });
    assert.equal(next.plan.reservations.get('g')!.slots, 8);
    assert.equal(next.plan.reservations.get('f')!.slots, 2);
    assert.deepEqual(
      next.plan.squeezed.map((s) => [s.user, s.granted.slots]),
      [['f', 2]],
    );
  });

  it('reserves each tier at its own quantile, with headroom, floor and caps', () => {
    const policy = testPolicy();
    Object.assign(policy.tiers[0], { headroom: 1.5, minSlots: 2 });
    policy.tiers[1].max.slots = 3;
    const q = (qq: number) => ({ 0.5: 1, 0.9: 4, 0.99: 6 })[qq as 0.5 | 0.9 | 0.99];
    const forecast = batchOf(['g', 'f', 'tiny'], (u, r, qq) =>
      r === 'concurrency' ? (u === 2 ? 0.2 : q(qq) * (u === 1 ? 2 : 1)) : 0,
    );
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast,
      policy,
      instances: instances(1, { ...CAP10, slots: 100 }),
      profiles: profiles({ g: 'gold', f: 'free', tiny: 'gold' }),
    });
    assert.equal(plan.reservations.get('g')!.slots, 9, 'gold: q0.99 = 6, x1.5 headroom');
    assert.equal(plan.reservations.get('f')!.slots, 2, 'free: q0.5 = 2 (under its cap of 3)');
    assert.equal(plan.reservations.get('tiny')!.slots, 2, 'a little demand still holds the tier floor');
    assert.equal(plan.reservations.get('g')!.onExhausted, 'top_up');
    assert.equal(plan.reservations.get('f')!.onExhausted, 'reject');
  });

  it('interpolates a tier quantile the forecast does not carry', () => {
    const policy = testPolicy();
    policy.tiers[0].quantile = 0.95;
    const forecast = batchOf(
      ['g'],
      (_u, r, q) => (r === 'concurrency' ? { 0.9: 10, 0.99: 19 }[q as 0.9 | 0.99] : 0),
      { quantiles: [0.9, 0.99] },
    );
    const { plan } = allocate({
      nowMs: 0,
      cycleMs: 60_000,
      forecast,
      policy,
      instances: instances(1, { ...CAP10, slots: 100 }),
      profiles: profiles({ g: 'gold' }),
    });
    assert.equal(plan.reservations.get('g')!.slots, 15, '10 + (0.05/0.09) * 9 = 15');
  });
});

describe('allocate: sticky assignments', () => {
  const users = Array.from({ length: 24 }, (_, i) => `u${i}`);
  type Demand = (u: number, r: ResourceKind) => number;
  const base: Demand = (u, r) => perSlotDemand(1 + (u % 3))(r);
  const eight = instances(8, CAP10);
  /** One cycle at minute `min`, the forecast issued then, on eight 10-slot instances by default. */
  const cycle = (policy: Policy, min: number, d: Demand, current?: Plan, inst = eight) =>
    allocate({
      nowMs: min * 60_000,
      cycleMs: 60_000,
      forecast: batchOf(users, d, { issuedAtMs: min * 60_000 }),
      policy,
      instances: inst,
      current,
    });
  const instanceOf = (p: Plan, u: string) => p.reservations.get(u)!.instanceId;

  it('keeps every user on its instance when the forecast changes a little', () => {
    const policy = testPolicy('stickiness: { consolidateBelow: 0 }');
    const a = cycle(policy, 0, base);
    // Half the users need a slot less, the others the same: everyone still fits where they are.
    const b = cycle(
      policy,
      1,
      (u, r) => perSlotDemand(1 + (u % 3) - (u % 2 === 0 && u % 3 > 0 ? 1 : 0))(r),
      a.plan,
    );
    assert.ok(b.stats.unchanged < users.length, 'the forecast did change');
    assert.equal(b.stats.moved, 0);
    for (const u of users) assert.equal(instanceOf(b.plan, u), instanceOf(a.plan, u), u);
  });

  it('moves a user only when its instance can no longer hold it', () => {
    const policy = testPolicy('stickiness: { consolidateBelow: 0 }');
    const a = cycle(policy, 0, base);
    const b = cycle(policy, 1, (u, r) => (u === 5 ? perSlotDemand(9)(r) : base(u, r)), a.plan);
    const moved = users.filter((u) => instanceOf(b.plan, u) !== instanceOf(a.plan, u));
    assert.ok(moved.includes('u5'), 'the grown user moved');
    assert.ok(moved.length <= 2, `few users moved: ${moved}`);
    assert.equal(b.plan.reservations.get('u5')!.slots, 9);
  });

  it('moves the users of a draining instance', () => {
    const policy = testPolicy('stickiness: { consolidateBelow: 0 }');
    const a = cycle(policy, 0, base);
    const drained = instanceOf(a.plan, 'u0');
    const b = cycle(
      policy,
      1,
      base,
      a.plan,
      eight.map((i) => (i.id === drained ? { ...i, state: 'draining' as const } : i)),
    );
    for (const r of b.plan.reservations.values()) assert.notEqual(r.instanceId, drained);
    for (const u of users.filter((x) => instanceOf(a.plan, x) !== drained))
      assert.equal(instanceOf(b.plan, u), instanceOf(a.plan, u));
  });

  it('packs onto few instances, and empties an underused one within the move budget', () => {
    const a = cycle(testPolicy(), 0, base);
    const slots = sum([...a.plan.reservations.values()].map((r) => r.slots));
    assert.equal(
      a.stats.instancesUsed,
      Math.ceil(slots / 10),
      `${slots} slots on the fewest 10-slot instances`,
    );
    // Demand falls by two thirds: the same instances are now mostly empty.
    const low: Demand = (u, r) => (u % 3 === 0 ? perSlotDemand(1)(r) : 0);
    const none = cycle(
      testPolicy('stickiness: { consolidateBelow: 0.5, maxMovesPerCycle: 0 }'),
      1,
      low,
      a.plan,
    );
    assert.equal(none.stats.consolidationMoves, 0, 'no budget, no moves');
    const b = cycle(
      testPolicy('stickiness: { consolidateBelow: 0.5, maxMovesPerCycle: 100 }'),
      1,
      low,
      a.plan,
    );
    assert.ok(
      b.stats.instancesEmptied > 0 && b.stats.instancesUsed < none.stats.instancesUsed,
      JSON.stringify(b.stats),
    );
    assert.equal(b.stats.consolidationMoves, b.stats.moved);
  });

  it('reuses unchanged reservations so only changes are distributed', () => {
    const policy = testPolicy('validity: 10m');
    const a = cycle(policy, 0, base);
    const change: Demand = (u, r) => (u === 7 ? perSlotDemand(1)(r) : base(u, r));
    const b = cycle(policy, 1, change, a.plan);
    const changed = users.filter((u) => b.plan.reservations.get(u) !== a.plan.reservations.get(u));
    assert.deepEqual(changed, ['u7']);
    assert.equal(b.stats.unchanged, users.length - 1);
    // Past half its validity a reservation is renewed even when nothing changed.
    const c = cycle(policy, 7, change, b.plan);
    assert.equal(c.stats.unchanged, 0);
    assert.equal(c.plan.reservations.get('u0')!.expiresMs, 7 * 60_000 + 600_000);
  });
});
