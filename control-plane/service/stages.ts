/**
 * The five stages of a cycle as functions of their inputs: read (windows, profiles, events, policy,
 * instances, live load) → forecast → allocate → publish → record. cycle.ts times and sequences
 * them; this file only says what each one does.
 */
import { checkFence, type Fence } from './fence';
import { allocateYielding, type AllocationResult } from '../allocate/allocate';
import { tierByName } from '../allocate/policy';
import type { PublishResult, ReservationChanges } from '../distribute';
import type { DemandWindows, ForecastBatch, ResourceKind } from '../domain/demand';
import type { DemandEvent } from '../domain/event';
import type { Instance, InstanceLoad } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { UserProfile } from '../domain/user';
import type { ForecastEngine } from '../forecast/engine';
import type { DemandQuery, ForecastWriteOptions, InstanceLoadSample } from '../store';
import { DemandCache } from './demand-cache';
import type { PolicyInForce, PolicySource } from './policy-source';

/** What the cycle needs of the store (control-plane/store's Store implements it). */
export interface CycleStore {
  flush(): Promise<void>;
  readDemandWindows(q: DemandQuery): Promise<DemandWindows>;
  readProfiles(): Promise<Map<string, UserProfile>>;
  readEvents(fromMs?: number, toMs?: number): Promise<DemandEvent[]>;
  readInstances(): Promise<Instance[]>;
  readLatestInstanceLoad(sinceMs: number): Promise<Map<string, InstanceLoadSample>>;
  /** Resolves once every point is queued, with `stored` (store/forecasts.ts queueForecasts). */
  queueForecasts(b: ForecastBatch, opts?: ForecastWriteOptions): Promise<{ stored: Promise<void> }>;
  /** Resolves once the plan's points are all queued, with `durable` (store/plans.ts queuePlan). */
  queuePlan(plan: Plan, o?: { beforeHeader?: () => void }): Promise<{ durable: Promise<void> }>;
}

/** Where plans go (the distribution server); both calls are atomic: all applied or none. */
export interface PlanPublisher {
  publishPlan(plan: Plan): PublishResult;
  publishChanges(changes: ReservationChanges): PublishResult;
  /**
   * publishPlan giving the event loop turns while the plan is diffed (~1 s at 10^6 users), still
   * atomic; `beforeCommit` runs synchronously just before the publish and may throw to refuse it.
   */
  publishPlanYielding?(plan: Plan, o?: { beforeCommit?: () => void }): Promise<PublishResult>;
}

/** Which forecasts to keep in InfluxDB each cycle (a full batch of 10^5 users is 7.5·10^6 points). */
export interface ForecastRecording {
  resources?: readonly ResourceKind[];
  /** 1-based horizon steps. */
  horizons?: readonly number[];
  /** Above this many users, only `requests` at horizons 1, 5 and the last are kept. Default 2000. */
  fullUpToUsers?: number;
}

export interface StageOptions {
  store: CycleStore;
  engine: ForecastEngine;
  policies: PolicySource;
  publisher: PlanPublisher;
  intervalMs: number;
  stepMs: number;
  historySteps: number;
  /** How long after a step ends its usage is complete in the store (proxies report every ~10 s). */
  settleMs: number;
  horizonSteps: number;
  recordForecasts: ForecastRecording | false;
  /** Leader election's fence: checked before a plan is recorded (fence.ts). */
  fence?: Fence;
}

export interface CycleInputs {
  nowMs: number;
  originMs: number;
  windows: DemandWindows;
  profiles: Map<string, UserProfile>;
  events: DemandEvent[];
  policy: PolicyInForce;
  instances: Instance[];
  loads: InstanceLoad[];
}

/** The last step boundary whose usage has settled: the end of the history a cycle reads. */
export function originOf(nowMs: number, stepMs: number, settleMs: number): number {
  return Math.floor((nowMs - settleMs) / stepMs) * stepMs;
}

export class CycleStages {
  private readonly history: DemandCache;

  constructor(private readonly o: StageOptions) {
    this.history = new DemandCache(o.store, { stepMs: o.stepMs, historySteps: o.historySteps });
  }

  /** `extraSteps` reads that much older history too (the warm-up replays it). */
  async read(nowMs: number, extraSteps = 0): Promise<CycleInputs> {
    const { store, stepMs } = this.o;
    const originMs = originOf(nowMs, stepMs, this.o.settleMs);
    // Usage the distribution server received is in the writer's batch: make it readable first.
    await store.flush();
    const policy = await this.o.policies.current();
    const [windows, allProfiles, events, instances, loads] = await Promise.all([
      this.history.read(originMs, extraSteps),
      store.readProfiles(),
      store.readEvents(originMs, originMs + this.o.horizonSteps * stepMs),
      store.readInstances(),
      store.readLatestInstanceLoad(nowMs - policy.policy.loadMaxAgeMs),
    ]);
    // An empty tier is the API's tombstone for a deleted user.
    const profiles = new Map([...allProfiles].filter(([, p]) => p.tier !== ''));
    return { nowMs, originMs, windows, profiles, events, policy, instances, loads: [...loads.values()] };
  }

  /**
   * Warm-up at start: the chooser's evidence (which model suits which user) lives in memory, so a
   * fresh engine replays the last `steps` steps of stored history, one forecast per step as live
   * cycles would have made, before the first live cycle. Stops early when `budgetMs` runs out.
   */
  async warmUp(nowMs: number, steps: number, budgetMs: number): Promise<{ steps: number; users: number }> {
    if (steps <= 0) return { steps: 0, users: 0 };
    const t0 = Date.now();
    const x = await this.read(nowMs, steps);
    const w = x.windows;
    const H = this.o.historySteps;
    const series = w.users.length * w.resources.length;
    let done = 0;
    for (let k = steps; k >= 1 && Date.now() - t0 < budgetMs; k--) {
      const offset = steps - k;
      const values = new Float32Array(series * H);
      for (let i = 0; i < series; i++)
        values.set(w.values.subarray(i * w.steps + offset, i * w.steps + offset + H), i * H);
      const windows = { ...w, startMs: w.startMs + offset * w.stepMs, steps: H, values };
      await this.forecast({ ...x, windows, originMs: windows.startMs + H * w.stepMs });
      done++;
    }
    return { steps: done, users: w.users.length };
  }

  forecast(x: CycleInputs): Promise<ForecastBatch> {
    const policy = x.policy.policy;
    return this.o.engine.forecast(x.windows, {
      profiles: x.profiles,
      events: x.events,
      reservationQuantile: (_user, profile) => tierByName(policy, profile?.tier).quantile,
    });
  }

  /** The cycle is done with `batch`: the engine may write its arrays again next cycle (no fresh 30 M values). */
  recycle(batch: ForecastBatch): void {
    this.o.engine.recycle?.(batch);
  }

  /**
   * Yields to the event loop every ~20 ms (domain/steps.ts): the distribution server, the API and
   * Lease renewals share this thread with a 10^6-user allocation's ~5 s of work.
   */
  allocate(x: CycleInputs, batch: ForecastBatch, current: Plan | undefined): Promise<AllocationResult> {
    const fence = this.o.fence;
    // Abandoned when the lease is lost: its publish would be refused anyway.
    const stop = fence === undefined ? undefined : () => !fence();
    return allocateYielding(
      {
        nowMs: x.nowMs,
        cycleMs: this.o.intervalMs,
        forecast: batch,
        policy: x.policy.policy,
        instances: x.instances,
        loads: x.loads,
        current,
        profiles: x.profiles,
        history: x.windows,
      },
      { stop },
    );
  }

  publish(plan: Plan): PublishResult | Promise<PublishResult> {
    const p = this.o.publisher;
    return p.publishPlanYielding ? p.publishPlanYielding(plan) : p.publishPlan(plan);
  }

  async record(batch: ForecastBatch, plan: Plan): Promise<void> {
    checkFence(this.o.fence, 'plan record');
    // The plan is queued whole (in chunks, with turns of the event loop) before the forecasts, so
    // its header is stored before them; the fence is checked again before the header.
    const { durable } = await this.o.store.queuePlan(plan, {
      beforeHeader: () => checkFence(this.o.fence, 'plan record'),
    });
    const writes = [durable];
    if (this.o.recordForecasts !== false && batch.users.length > 0)
      writes.push(
        (await this.o.store.queueForecasts(batch, recordingFor(batch, this.o.recordForecasts))).stored,
      );
    // Send at once rather than on the writer's time trigger: the cycle waits for these.
    writes.push(this.o.store.flush());
    await Promise.all(writes);
  }
}

export function recordingFor(b: ForecastBatch, r: ForecastRecording): ForecastWriteOptions {
  if (r.resources || r.horizons) return { resources: r.resources, horizons: r.horizons };
  if (b.users.length <= (r.fullUpToUsers ?? 2000)) return {};
  return { resources: ['requests'], horizons: [...new Set([1, Math.min(5, b.horizon), b.horizon])] };
}

/** Forecast users per model, for the status and the console. */
export function modelCounts(b: ForecastBatch): Record<string, number> {
  const out: Record<string, number> = {};
  for (let u = 0; u < b.users.length; u++) {
    const name = b.models[b.modelOf[u]] ?? '?';
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}
