import * as assert from 'node:assert/strict';
import { allocate } from '../../../control-plane/allocate/allocate';
import { AMOUNTS, computeWants } from '../../../control-plane/allocate/demand';
import { tierByName } from '../../../control-plane/allocate/policy';
import type { Policy } from '../../../control-plane/allocate/policy';
import type { ResourceKind } from '../../../control-plane/domain/demand';
import type { Instance, InstanceLoad } from '../../../control-plane/domain/instance';
import type { Plan } from '../../../control-plane/domain/plan';
import { reservationProblem } from '../../../control-plane/distribute/cache/validate-reservation';
import { mulberry32 } from '../../../sim/random';
import { batchOf, profiles, RES, testPolicy } from './helpers';

const DIM = ['slots', 'cpuMillicores', 'memoryMb', 'bandwidthKbps'] as const;
const LOAD = {
  slots: 'inFlight',
  cpuMillicores: 'cpuMillicores',
  memoryMb: 'memoryMb',
  bandwidthKbps: 'bandwidthKbps',
} as const;

/** Effective capacity, computed here independently of the allocator's own code. */
function effective(
  inst: Instance,
  policy: Policy,
  loads: InstanceLoad[],
  before: Plan | undefined,
  now: number,
) {
  const over = {
    slots: policy.overcommit.slots,
    cpuMillicores: policy.overcommit.cpu,
    memoryMb: policy.overcommit.memory,
    bandwidthKbps: policy.overcommit.bandwidth,
  };
  const fresh = loads
    .filter((l) => l.instanceId === inst.id && l.atMs >= now - policy.loadMaxAgeMs)
    .sort((a, b) => b.atMs - a.atMs)[0];
  const out: Record<string, number> = {};
  for (const d of DIM) {
    let held = 0;
    for (const r of before?.reservations.values() ?? []) if (r.instanceId === inst.id) held += r[d];
    const background = fresh ? Math.max(0, fresh[LOAD[d]] - held) : 0;
    out[d] = Math.max(0, Math.floor(Math.max(0, inst.capacity[d]) * over[d] - background));
  }
  return out;
}

function assertWithinCapacity(
  plan: Plan,
  insts: Instance[],
  policy: Policy,
  loads: InstanceLoad[],
  before: Plan | undefined,
  now: number,
  label: string,
) {
  for (const inst of insts) {
    const eff = effective(inst, policy, loads, before, now);
    const usable =
      inst.state === 'ready' ||
      (inst.state === 'warming' && inst.readyAtMs !== undefined && inst.readyAtMs <= now);
    for (const d of DIM) {
      let sum = 0;
      for (const r of plan.reservations.values()) if (r.instanceId === inst.id) sum += r[d];
      assert.ok(sum <= eff[d], `${label}: ${inst.id} holds ${sum} ${d} > ${eff[d]}`);
      if (!usable) assert.equal(sum, 0, `${label}: unusable ${inst.id} (${inst.state}) holds ${d}`);
    }
  }
}

function randomCase(seed: number) {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const oc = [1, 1, 1.5, 2][int(4)];
  const policy = testPolicy(
    `overcommit: { slots: ${oc}, cpu: ${[1, 1.25][int(2)]} }\nleadTime: ${[0, 60, 120][int(3)]}s\n` +
      `stickiness: { consolidateBelow: ${[0, 0.3, 0.9][int(3)]}, maxMovesPerCycle: ${int(20)} }`,
  );
  if (rnd() < 0.5) policy.tiers[1].max.slots = 1 + int(4);
  const now = 600_000;
  const insts: Instance[] = Array.from({ length: 1 + int(6) }, (_, i) => ({
    id: `i${i}`,
    address: `10.0.0.${i}:80`,
    instanceClass: 'standard',
    capacity: { slots: int(20), cpuMillicores: int(500), memoryMb: int(500), bandwidthKbps: int(5000) },
    state: (['ready', 'ready', 'ready', 'draining', 'warming'] as const)[int(5)],
    readyAtMs: rnd() < 0.5 ? now - 1000 : now + 60_000,
  }));
  const loads: InstanceLoad[] = insts
    .filter(() => rnd() < 0.6)
    .map((inst) => ({
      instanceId: inst.id,
      atMs: now - int(400_000),
      cpuMillicores: int(300),
      memoryMb: int(300),
      bandwidthKbps: int(3000),
      inFlight: int(10),
    }));
  const users = Array.from({ length: int(60) }, (_, u) => `u${u}`);
  const tiers = profiles(Object.fromEntries(users.map((u) => [u, ['gold', 'free', 'bronze'][int(3)]])));
  const demand = (u: number, r: ResourceKind, q: number, h: number): number => {
    const x = rnd();
    if (x < 0.05) return NaN;
    if (x < 0.1) return -3;
    if (x < 0.4) return 0;
    const scale = { requests: 60, concurrency: 1, cpu: 20, memory: 20, bandwidth: 200 }[r];
    return (1 + int(6)) * scale * (0.5 + q) * (1 + (u % 3) * 0.2 + h * 0.01);
  };
  const resources = rnd() < 0.5 ? RES : (['requests', 'concurrency'] as const);
  const quantiles = [[0.5, 0.9, 0.99], [0.5], [0.8, 0.95]][int(3)];
  const first = allocate({
    nowMs: now - 60_000,
    cycleMs: 60_000,
    forecast: batchOf(users, demand, { resources, quantiles, issuedAtMs: now - 60_000 }),
    policy,
    instances: insts,
    profiles: tiers,
  });
  const next = {
    nowMs: now,
    cycleMs: 60_000,
    forecast: batchOf(users, demand, { resources, quantiles, issuedAtMs: now - int(3) * 60_000 }),
    policy,
    instances: insts,
    loads,
    current: first.plan,
    profiles: tiers,
  };
  return { policy, insts, loads, now, first, next, rnd, int };
}

describe('allocate: capacity is never exceeded', () => {
  it('holds for 300 random fleets, forecasts, tiers, loads and previous plans, and after top-ups', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const c = randomCase(seed);
      const { plan, ledger } = allocate(c.next);
      assertWithinCapacity(plan, c.insts, c.policy, c.loads, c.first.plan, c.now, `seed ${seed}`);
      for (const r of plan.reservations.values()) {
        assert.equal(reservationProblem(r), undefined, `seed ${seed}: ${JSON.stringify(r)}`);
        const cap = c.policy.tiers.find((t) => t.name === r.tier)!.max;
        assert.ok(r.slots <= cap.slots, `seed ${seed}: tier cap`);
      }
      const users = [...plan.reservations.keys()];
      for (let k = 0; k < 20 && users.length > 0; k++) {
        const user = users[c.int(users.length)];
        ledger.topUp({
          user,
          extra: {
            slots: c.int(10),
            cpuMillicores: c.int(300),
            memoryMb: c.int(300),
            bandwidthKbps: c.int(3000),
            ratePerMinute: c.int(100),
          },
        });
      }
      assertWithinCapacity(
        plan,
        c.insts,
        c.policy,
        c.loads,
        c.first.plan,
        c.now,
        `seed ${seed} after top-ups`,
      );
    }
  });

  it('never turns a squeeze into a reservation without slots (0 slots is unlimited concurrency to the filter)', () => {
    let zeroed = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const c = randomCase(seed);
      const { plan } = allocate(c.next);
      for (const s of plan.squeezed) {
        if (!(s.wanted.slots > 0) || s.granted.slots > 0) continue;
        zeroed++;
        assert.ok(!plan.reservations.has(s.user), `seed ${seed}: ${s.user} reserved with 0 of its slots`);
      }
    }
    assert.ok(zeroed > 0, 'the random cases squeeze some user to 0 slots');
  });

  it('grants a user in full whenever it is not listed as squeezed', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const c = randomCase(seed);
      const { plan } = allocate(c.next);
      const squeezed = new Set(plan.squeezed.map((s) => s.user));
      for (const s of plan.squeezed)
        for (const d of DIM) assert.ok(s.granted[d] <= s.wanted[d], `seed ${seed}`);
      const usable = c.insts.some(
        (i) => i.state === 'ready' || (i.state === 'warming' && (i.readyAtMs ?? Infinity) <= c.now),
      );
      // A user with nothing to hold (every wanted amount 0) gets no reservation at all.
      const f = c.next.forecast;
      const tier = Uint16Array.from(f.users, (u) =>
        c.policy.tiers.findIndex((t) => t === tierByName(c.policy, c.next.profiles.get(u)?.tier)),
      );
      const wants = computeWants(f, c.policy, { nowMs: c.now, cycleMs: 60_000, tier });
      f.users.forEach((u, ui) => {
        if (squeezed.has(u) || !usable) return;
        const nothing = wants.amount.subarray(ui * AMOUNTS, (ui + 1) * AMOUNTS).every((x) => x === 0);
        if (nothing) assert.ok(!plan.reservations.has(u), `seed ${seed}: ${u} reserved with nothing to hold`);
        else
          assert.ok(plan.reservations.has(u), `seed ${seed}: ${u} has no reservation and was not squeezed`);
      });
    }
  });
});
