/**
 * The cycle's allocate stage gives the event loop turns (domain/steps.ts), so what runs meanwhile
 * matters: a usage report's top-up is deferred until the new plan is in force (service/top-up.ts,
 * Cycle.whenSettled), and a lost lease abandons the allocation (a stop lets it finish).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { allocate, type AllocationResult } from '../../../control-plane/allocate/allocate';
import { loadPolicyFile } from '../../../control-plane/allocate/load-policy';
import { StoppedError, USERS_PER_YIELD } from '../../../control-plane/domain/steps';
import { syntheticForecast, syntheticInstances } from '../../../control-plane/allocate/testing/synthetic';
import { SimClock } from '../../../control-plane/domain/clock';
import type { Logger } from '../../../control-plane/domain/logger';
import type { Plan } from '../../../control-plane/domain/plan';
import type { Reservation } from '../../../control-plane/domain/reservation';
import { usageOf, type UsageReport } from '../../../control-plane/domain/usage';
import { Cycle } from '../../../control-plane/service/cycle';
import { CycleMetrics } from '../../../control-plane/service/metrics';
import { CycleStages, type CycleInputs, type StageOptions } from '../../../control-plane/service/stages';
import { MAX_DEFERRED_TOP_UPS, ShortfallTopUp } from '../../../control-plane/service/top-up';

const policy = loadPolicyFile(path.join(__dirname, '../../../control-plane/allocate/policies/default.yaml'));
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Inputs as the read stage makes them, for `users` synthetic users. */
function inputsFor(users: number, nowMs: number) {
  const forecast = syntheticForecast({ users, seed: 3 });
  const inputs = {
    nowMs,
    originMs: nowMs,
    windows: undefined,
    profiles: new Map(),
    events: [],
    policy: { version: 1, policy },
    instances: syntheticInstances(Math.ceil(users / 50), policy.instanceClasses[0].capacity),
    loads: [],
  } as unknown as CycleInputs;
  return { inputs, forecast };
}

describe('service: the allocate stage yields to the event loop', () => {
  const { inputs, forecast } = inputsFor(3 * USERS_PER_YIELD, 0);
  const stagesWith = (fence?: () => boolean) =>
    new CycleStages({ store: {}, intervalMs: 60_000, fence } as unknown as StageOptions);

  it('lets a timer run while it allocates, before its result', async () => {
    let fired = false;
    setTimeout(() => (fired = true), 0);
    const r = await stagesWith().allocate(inputs, forecast, undefined);
    // This continuation runs after the timer only if the stage gave the event loop a turn.
    assert.ok(fired, 'the stage ran to its end without a turn of the event loop');
    assert.equal(r.stats.users, 3 * USERS_PER_YIELD);
  });

  it('abandons the allocation when the fence closes (the lease was lost), not otherwise', async () => {
    await assert.rejects(stagesWith(() => false).allocate(inputs, forecast, undefined), StoppedError);
    const r = await stagesWith(() => true).allocate(inputs, forecast, undefined);
    assert.equal(r.stats.users, 3 * USERS_PER_YIELD);
  });
});

/** Cycle stages whose allocation the test releases (a real result computed up front). */
class HeldStages {
  published: string[] = [];
  private release: ((r: AllocationResult) => void) | undefined;
  private fail: ((e: Error) => void) | undefined;
  allocating = false;
  constructor(private readonly base: ReturnType<typeof inputsFor>) {}
  read = async (nowMs: number) => ({ ...this.base.inputs, nowMs });
  forecast = async () => this.base.forecast;
  allocate = () =>
    new Promise<AllocationResult>((ok, fail) => {
      this.allocating = true;
      this.release = ok;
      this.fail = fail;
    });
  finishWith(r: AllocationResult): void {
    this.allocating = false;
    this.release!(r);
  }
  failWith(e: Error): void {
    this.allocating = false;
    this.fail!(e);
  }
  /** When set, a publish waits for it (as publishPlanYielding gives the event loop turns). */
  publishGate: Promise<void> | undefined;
  publishing = false;
  publish = async (plan: Plan) => {
    this.publishing = true;
    if (this.publishGate) await this.publishGate;
    this.publishing = false;
    this.published.push(plan.version);
    return {
      revision: this.published.length,
      systemVersion: plan.version,
      updated: 1,
      removed: 0,
      unchanged: 0,
      changed: true,
    };
  };
  record = async () => undefined;
  recycle = () => undefined;
}

describe('service: top-ups while a cycle allocates', () => {
  const base = inputsFor(200, 0);
  /** Two consecutive allocations, fresh for each test (a top-up changes the plan it is granted on). */
  const plans = () => {
    const one = {
      nowMs: 0,
      cycleMs: 60_000,
      forecast: base.forecast,
      policy,
      instances: base.inputs.instances,
    };
    const first = allocate(one);
    const next = { ...base.forecast, issuedAtMs: 60_000 };
    const second = allocate({ ...one, nowMs: 60_000, forecast: next, current: first.plan });
    return { first, second };
  };
  // A user holding slots in both plans, short of them in a report.
  const { first: f0, second: s0 } = plans();
  const user = [...s0.plan.reservations.values()].find(
    (r) => r.slots > 0 && (f0.plan.reservations.get(r.user)?.slots ?? 0) > 0,
  )!.user;
  const report = (sequence: number): UsageReport => ({
    nodeId: 'edge-1',
    sequence,
    intervalStartMs: 0,
    intervalMs: 10_000,
    planVersion: '',
    users: [usageOf(user, { requests: 50, admitted: 10, shortfall: 40, peakInFlight: 99 })],
  });

  async function world() {
    const { first, second } = plans();
    const stages = new HeldStages(base);
    const cycle = new Cycle({
      clock: new SimClock(0),
      stages: stages as unknown as CycleStages,
      metrics: new CycleMetrics(new Registry()),
      logger: quiet,
      intervalMs: 60_000,
      stepMs: 60_000,
      settleMs: 0,
    });
    const changes: { systemVersion: string; upsert: Reservation[] }[] = [];
    const topUp = new ShortfallTopUp({
      sink: { writeUsage: () => undefined },
      cycle,
      publisher: {
        publishPlan: () => ({}) as never,
        publishChanges: (c) => (changes.push(c as never), {} as never),
      },
      metrics: new CycleMetrics(new Registry()),
      logger: quiet,
    });
    // The first cycle puts `first` in force.
    const c1 = cycle.trigger()!;
    await until(() => stages.allocating);
    stages.finishWith(first);
    await c1;
    assert.equal(cycle.currentPlan, first.plan);
    return { stages, cycle, changes, topUp, first, second };
  }

  it('grants at once on the plan in force when no cycle allocates', async () => {
    const { changes, topUp, cycle, first } = await world();
    topUp.writeUsage(report(1));
    assert.equal(changes.length, 1);
    assert.equal(changes[0].systemVersion, `${first.plan.version}+t1`);
    assert.equal(cycle.topUps.requested, 1);
  });

  it('defers a top-up that arrives during the allocation, then grants it on the new plan', async () => {
    const { stages, cycle, changes, topUp, first, second } = await world();
    const planned = second.plan.reservations.get(user)!;
    const c2 = cycle.trigger()!;
    await until(() => stages.allocating);
    assert.ok(cycle.allocating);
    topUp.writeUsage(report(2));
    assert.equal(changes.length, 0, 'nothing granted on the plan about to be replaced');
    assert.equal(cycle.topUps.requested, 0);
    stages.finishWith(second);
    await c2;
    assert.deepEqual(stages.published, [first.plan.version, second.plan.version]);
    assert.equal(changes.length, 1, 'granted once the new plan is in force');
    assert.equal(changes[0].systemVersion, `${second.plan.version}+t1`);
    const granted = changes[0].upsert.find((r) => r.user === user)!;
    assert.ok(granted.slots > planned.slots, `more slots than the new plan holds: ${granted.slots}`);
    assert.equal(second.plan.reservations.get(user), granted, 'the plan in force carries the top-up');
    assert.equal(cycle.allocating, false);
  });

  it('defers a top-up that arrives while the new plan is being published', async () => {
    const { stages, cycle, changes, topUp, second } = await world();
    let open: () => void = () => undefined;
    stages.publishGate = new Promise((r) => (open = r));
    const c2 = cycle.trigger()!;
    await until(() => stages.allocating);
    stages.finishWith(second);
    await until(() => stages.publishing);
    topUp.writeUsage(report(2));
    assert.equal(changes.length, 0, 'nothing granted on the plan about to be replaced');
    open();
    await c2;
    assert.equal(changes.length, 1);
    assert.equal(changes[0].systemVersion, `${second.plan.version}+t1`);
  });

  it('refuses, rather than grants on the old plan, past MAX_DEFERRED_TOP_UPS waiting users', async () => {
    const { stages, cycle, changes, topUp, second } = await world();
    const c2 = cycle.trigger()!;
    await until(() => stages.allocating);
    const many = report(2);
    many.users = Array.from({ length: MAX_DEFERRED_TOP_UPS + 1 }, () => many.users[0]);
    topUp.writeUsage(many);
    assert.equal(cycle.topUps.refused, MAX_DEFERRED_TOP_UPS + 1);
    assert.match(cycle.topUps.lastReason ?? '', /a cycle is allocating/);
    topUp.writeUsage(report(3)); // still room for a small one
    assert.equal(changes.length, 0);
    stages.finishWith(second);
    await c2;
    assert.equal(changes.length, 1, 'the small report, granted on the new plan');
    assert.equal(changes[0].systemVersion, `${second.plan.version}+t1`);
  });

  it('grants a deferred top-up on the plan that stays in force when the cycle fails', async () => {
    const { stages, cycle, changes, topUp, first } = await world();
    const c2 = cycle.trigger()!;
    await until(() => stages.allocating);
    topUp.writeUsage(report(2));
    stages.failWith(new Error('allocation exploded'));
    const r = await c2;
    assert.equal(r.ok, false);
    assert.equal(changes.length, 1);
    assert.equal(changes[0].systemVersion, `${first.plan.version}+t1`);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}
