/**
 * The cycle: every `intervalMs` on the service clock, read → forecast → allocate → publish →
 * record. Cycles never overlap (a tick that finds one running is skipped and counted). Each stage
 * is timed (histogram per stage, and the status). A failed stage ends the cycle, keeps the plan
 * in force (the last good one) and says why: a log line, earmark_cycle_failures_total{stage}, and
 * the status (stage and error).
 */
import { performance } from 'node:perf_hooks';
import { StoppedError } from '../domain/steps';
import type { CapacityLedger } from '../allocate/top-up';
import type { Clock, TimerHandle } from '../domain/clock';
import type { Logger } from '../domain/logger';
import type { Plan } from '../domain/plan';
import type { CycleMetrics } from './metrics';
import type { PolicyInForce } from './policy-source';
import { NotLeaderError } from './fence';
import { modelCounts, originOf, type CycleStages } from './stages';
import type { CycleReport, CycleStatus, StageName, TopUpCounts } from './status';

export interface CycleOptions {
  clock: Clock;
  stages: CycleStages;
  metrics: CycleMetrics;
  logger: Logger;
  intervalMs: number;
  stepMs: number;
  settleMs: number;
  /** Called after every cycle, ok or not (the console's progress line). */
  onReport?: (r: CycleReport) => void;
  /** Called after a plan was published (scaling delivery). Errors are logged, never thrown. */
  onPublished?: (plan: Plan, policy: PolicyInForce) => void | Promise<void>;
}

/** Thrown inside a cycle to carry the failing stage out of it. */
class StageError extends Error {
  /** The stage gave up because the lease was lost (domain/steps.ts StoppedError, fence.ts NotLeaderError). */
  readonly abandoned: boolean;
  constructor(
    readonly stage: StageName,
    failure: unknown,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.abandoned = failure instanceof StoppedError || failure instanceof NotLeaderError;
  }
}

/** Reports kept for GET /v1/cycle: an hour of one-minute cycles. */
export const RECENT_REPORTS = 60;

export class Cycle {
  private timer: TimerHandle | undefined;
  private running: Promise<CycleReport> | undefined;
  private stopped = false;
  private plan: Plan | undefined;
  private ledger: CapacityLedger | undefined;
  private policyInForce: PolicyInForce | undefined;
  private readonly counts = { runs: 0, succeeded: 0, failed: 0, skipped: 0 };
  private nextAtMs: number | undefined;
  private last: CycleReport | undefined;
  private lastSuccess: CycleReport | undefined;
  /** The last RECENT_REPORTS reports, oldest first (GET /v1/cycle). */
  private readonly history: CycleReport[] = [];
  readonly topUps: TopUpCounts = { requested: 0, granted: 0, partial: 0, refused: 0, publishes: 0 };
  /** From the start of the allocate stage until its plan is in force (or the cycle failed). */
  private allocatingNow = false;
  private settled: (() => void)[] = [];

  constructor(private readonly o: CycleOptions) {}

  /** The plan in force: the last one published (top-ups included), or one adopted at start. */
  get currentPlan(): Plan | undefined {
    return this.plan;
  }
  /** Free capacity after the plan in force, for top-ups (absent for an adopted plan until a cycle runs). */
  get currentLedger(): CapacityLedger | undefined {
    return this.ledger;
  }
  get currentPolicy(): PolicyInForce | undefined {
    return this.policyInForce;
  }

  /**
   * True while a cycle allocates its next plan: the allocation yields to the event loop for
   * seconds at 10^6 users, and a top-up granted on the plan in force meanwhile would be replaced
   * by the new plan moments later (service/top-up.ts defers them to whenSettled).
   */
  get allocating(): boolean {
    return this.allocatingNow;
  }

  /** Runs `fn` once the allocation under way is over: its plan in force, or the cycle failed. */
  whenSettled(fn: () => void): void {
    if (this.allocatingNow) this.settled.push(fn);
    else fn();
  }

  private settle(): void {
    if (!this.allocatingNow) return;
    this.allocatingNow = false;
    const fns = this.settled;
    this.settled = [];
    for (const fn of fns) this.safely('whenSettled', fn);
  }

  /** A plan loaded from the store at start: in force (and sticky for the next allocation) until replaced. */
  adopt(plan: Plan): void {
    this.plan = plan;
  }

  /** Arms the timer: the first cycle at once (unless told otherwise), then on every aligned tick. */
  start(runFirstNow = true): void {
    this.stopped = false;
    if (runFirstNow) this.tick();
    else this.arm();
  }

  /** Runs a cycle now unless one is running (then the tick is skipped and counted: undefined). */
  trigger(): Promise<CycleReport> | undefined {
    if (this.running) {
      this.counts.skipped++;
      this.o.metrics.cycles.inc({ outcome: 'skipped' });
      this.o.logger.warn('cycle tick skipped: the previous cycle is still running', {
        cycle: this.counts.runs,
      });
      return undefined;
    }
    const run = this.runCycle().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Resolves once no cycle is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Disarms the timer and waits for a running cycle to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.nextAtMs = undefined;
    await this.idle();
  }

  status(): CycleStatus {
    return {
      state: this.stopped ? 'stopped' : this.running ? 'running' : 'idle',
      intervalMs: this.o.intervalMs,
      ...this.counts,
      nextAtMs: this.nextAtMs,
      planVersion: this.plan?.version,
      last: this.last,
      lastSuccess: this.lastSuccess,
      topUps: { ...this.topUps },
    };
  }

  /** The last `n` reports (at most RECENT_REPORTS), newest first. */
  recent(n = RECENT_REPORTS): CycleReport[] {
    return n > 0 ? this.history.slice(-n).reverse() : [];
  }

  private tick(): void {
    if (this.stopped) return;
    void this.trigger();
    this.arm();
  }

  /** Next tick: the next interval boundary plus the settle delay, so the read sees complete steps. */
  private arm(): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    const { intervalMs, settleMs } = this.o;
    let at = Math.floor((now - settleMs) / intervalMs) * intervalMs + intervalMs + settleMs;
    if (at <= now) at += intervalMs;
    this.nextAtMs = at;
    this.timer = this.o.clock.setTimer(at - now, () => this.tick());
  }

  private async runCycle(): Promise<CycleReport> {
    const { stages, metrics, clock } = this.o;
    const cycle = ++this.counts.runs;
    const startedAtMs = clock.now();
    const t0 = performance.now();
    const report: CycleReport = {
      cycle,
      startedAtMs,
      originMs: originOf(startedAtMs, this.o.stepMs, this.o.settleMs),
      ok: false,
      stages: [],
      totalMs: 0,
      users: 0,
      reserved: 0,
      squeezed: 0,
      instancesUsed: 0,
    };
    const timed = async <T>(stage: StageName, fn: () => T | Promise<T>): Promise<T> => {
      const s = performance.now();
      try {
        return await fn();
      } catch (err) {
        throw new StageError(stage, err);
      } finally {
        const ms = performance.now() - s;
        report.stages.push({ stage, ms });
        metrics.stage(stage, ms);
      }
    };
    try {
      const inputs = await timed('read', () => stages.read(startedAtMs));
      report.originMs = inputs.originMs;
      report.policyVersion = inputs.policy.version;
      const batch = await timed('forecast', () => stages.forecast(inputs));
      report.users = batch.users.length;
      report.models = modelCounts(batch);
      this.allocatingNow = true;
      // A stop lets the allocation finish (its plan is published and recorded, as before it
      // yielded); a lost lease abandons it (stages.allocate).
      const result = await timed('allocate', () => stages.allocate(inputs, batch, this.plan));
      Object.assign(report, {
        reserved: result.stats.reserved,
        squeezed: result.stats.squeezed,
        instancesUsed: result.stats.instancesUsed,
      });
      // A forecast artefact the allocator contained (allocate/slot-size.ts): visible, not silent.
      if (result.stats.slotSizeBounded > 0)
        this.o.logger.warn('per-slot sizes larger than any instance replaced (a forecast artefact)', {
          cycle,
          users: result.stats.slotSizeBounded,
        });
      const published = await timed('publish', () => stages.publish(result.plan));
      // Published: this plan is now in force, whatever happens to the recording.
      this.plan = result.plan;
      this.ledger = result.ledger;
      this.policyInForce = inputs.policy;
      this.settle(); // top-ups deferred during the allocation now apply to this plan
      report.planVersion = result.plan.version;
      report.published = {
        updated: published.updated,
        removed: published.removed,
        unchanged: published.unchanged,
      };
      metrics.planUsers.set({ kind: 'forecast' }, report.users);
      metrics.planUsers.set({ kind: 'reserved' }, report.reserved);
      metrics.planUsers.set({ kind: 'squeezed' }, report.squeezed);
      this.afterPublish(result.plan, inputs.policy);
      await timed('record', () => stages.record(batch, result.plan));
      stages.recycle(batch); // the last use of the batch this cycle
      report.ok = true;
    } catch (err) {
      const stage = err instanceof StageError ? err.stage : 'read';
      report.failedStage = stage;
      report.error = err instanceof Error ? err.message : String(err);
      metrics.failures.inc({ stage });
      const abandoned = err instanceof StageError && err.abandoned;
      this.o.logger[abandoned ? 'warn' : 'error'](
        abandoned
          ? 'cycle abandoned: this replica lost the leader lease; the last good plan stays in force'
          : 'cycle failed; the last good plan stays in force',
        { cycle, stage, error: report.error, plan: this.plan?.version ?? null },
      );
    } finally {
      // On every way out (after a publish it is a no-op): deferred top-ups apply to the plan in force.
      this.settle();
    }
    report.totalMs = performance.now() - t0;
    metrics.cycleSeconds.observe(report.totalMs / 1000);
    metrics.cycles.inc({ outcome: report.ok ? 'ok' : 'failed' });
    if (report.ok) {
      this.counts.succeeded++;
      this.lastSuccess = report;
      metrics.lastSuccess.set(startedAtMs / 1000);
    } else this.counts.failed++;
    this.last = report;
    this.history.push(report);
    if (this.history.length > RECENT_REPORTS) this.history.shift();
    this.safely('onReport', () => this.o.onReport?.(report));
    return report;
  }

  private afterPublish(plan: Plan, policy: PolicyInForce): void {
    this.safely('onPublished', () => this.o.onPublished?.(plan, policy));
  }

  /** Observers must never break the cycle. */
  private safely(what: string, fn: () => unknown): void {
    try {
      const r = fn();
      if (r instanceof Promise)
        r.catch((err) => this.o.logger.error(`${what} failed`, { error: String(err?.message ?? err) }));
    } catch (err) {
      this.o.logger.error(`${what} failed`, { error: String((err as Error)?.message ?? err) });
    }
  }
}
