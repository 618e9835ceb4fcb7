/**
 * Plays a workload through the fleet in time order: every arrival is sent at its own time (the
 * fleet's clock is moved to it first), every served request finishes after its service time on the
 * companion instance the filter chose, queued requests are served when the filter lets them go.
 * Counts decisions per minute. Deterministic for a workload and seed: the same run gives the same
 * decisions, whatever the speed at which it is driven.
 */
import type { Clock, TimerHandle } from '../../control-plane/domain/clock';
import type { CompanionInstances, Serving } from '../instances/companions';
import { MinHeap } from '../instances/min-heap';
import type { ProxyFleet } from './fleet';
import { FINAL_DECISIONS, type FinalDecision, type ProxyRequest } from './proxy-request';

const MINUTE = 60_000;

/** What the driver needs of a workload (sim/workload/synthetic.ts's SyntheticWorkload fits). */
export interface ArrivalSource {
  readonly startMs: number;
  readonly users: readonly { id: string; serviceMs: number; memoryMb: number }[];
  /** Arrivals in minute m as offsets (ms, ascending) and user indexes. */
  arrivals(m: number): { offsetMs: Float64Array; user: Uint32Array };
}

export interface DecisionCounts extends Record<FinalDecision, number> {
  requests: number;
  /** Requests that waited in a filter queue (whatever came of them), and their total wait. */
  queued: number;
  queueWaitMs: number;
}

export const emptyCounts = (): DecisionCounts => ({
  requests: 0,
  queued: 0,
  queueWaitMs: 0,
  ...(Object.fromEntries(FINAL_DECISIONS.map((d) => [d, 0])) as Record<FinalDecision, number>),
});

export interface TrafficOptions {
  fleet: ProxyFleet;
  workload: ArrivalSource;
  /** Where served requests go; without it they finish after the user's service time. */
  companions?: CompanionInstances;
  /** Response body bytes per request (default 2048). */
  bytesOut?: number;
}

interface Completion {
  at: number;
  seq: number;
  req: ProxyRequest;
  serving?: Serving;
}

export class TrafficDriver {
  /** Totals since the start, and the minute in progress. */
  readonly total: DecisionCounts = emptyCounts();
  private minute: DecisionCounts = emptyCounts();
  private minuteIndex: number | undefined;
  /** Called with every request once the filter has decided (for per-request records: latency, who got what). */
  onDecision: ((r: ProxyRequest) => void) | undefined;
  /** Called when a minute is complete (by arrival time), with its counts. */
  onMinute: ((minuteStartMs: number, c: DecisionCounts) => void) | undefined;
  private nextMinute: number;
  private batch: { offsetMs: Float64Array; user: Uint32Array } | undefined;
  private cursor = 0;
  private readonly heap = new MinHeap<Completion>();
  private seq = 0;
  private timer: TimerHandle | undefined;
  private readonly userById: Map<string, ArrivalSource['users'][number]>;

  constructor(
    private readonly o: TrafficOptions,
    fromMs: number = o.fleet.now(),
  ) {
    this.nextMinute = Math.max(0, Math.floor((fromMs - o.workload.startMs) / MINUTE));
    this.userById = new Map(o.workload.users.map((u) => [u.id, u]));
    o.fleet.onSettled = (r) => this.settled(r);
  }

  /** Runs on `clock`: every `everyMs`, everything due up to the clock's now. */
  attach(clock: Clock, everyMs = 250): void {
    this.timer = clock.setTimer(everyMs, () => {
      this.runUntil(clock.now());
      this.attach(clock, everyMs);
    });
  }

  detach(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Sends, settles and finishes everything due before `t`, in time order; leaves the fleet at `t`. */
  runUntil(t: number): void {
    const { fleet, workload } = this.o;
    for (;;) {
      const arrivalAt = this.peekArrival();
      const doneAt = this.heap.peek()?.at ?? Infinity;
      const at = Math.min(arrivalAt, doneAt);
      if (!(at < t)) break;
      fleet.advanceTo(at);
      if (doneAt <= arrivalAt) this.complete(this.heap.pop()!);
      else {
        const b = this.batch!;
        const u = workload.users[b.user[this.cursor++]];
        this.count(this.minuteOf(at)).requests++;
        this.total.requests++;
        const req = fleet.send(u.id);
        if (req.settled) this.settled(req);
      }
    }
    fleet.advanceTo(t);
    this.closeMinutesBefore(t);
  }

  /** Requests sent and not finished yet (in a queue or being served). */
  get inFlight(): number {
    return this.heap.size + this.o.fleet.proxies.reduce((s, p) => s + p.queued, 0);
  }

  private peekArrival(): number {
    const w = this.o.workload;
    while (!this.batch || this.cursor >= this.batch.offsetMs.length) {
      this.batch = w.arrivals(this.nextMinute++);
      this.cursor = 0;
      if (this.batch.offsetMs.length > 0) break;
    }
    return w.startMs + (this.nextMinute - 1) * MINUTE + this.batch.offsetMs[this.cursor];
  }

  /** Decisions count in the minute they were made (requests in the minute they arrived). */
  private settled(req: ProxyRequest): void {
    this.onDecision?.(req);
    const c = this.count(this.minuteOf(req.settledAtMs!));
    c[req.decision as FinalDecision]++;
    this.total[req.decision as FinalDecision]++;
    if (req.wasQueued) {
      c.queued++;
      this.total.queued++;
      c.queueWaitMs += req.waitMs ?? 0;
      this.total.queueWaitMs += req.waitMs ?? 0;
    }
    if (req.decision === 'throttled' || req.decision === 'fail_closed') return req.finish();
    const user = this.userById.get(req.user);
    const serviceMs = user?.serviceMs ?? 100;
    const serving = this.o.companions?.begin(req.target, serviceMs, user?.memoryMb ?? 0);
    this.heap.push({
      at: req.settledAtMs! + (serving?.serviceMs ?? serviceMs),
      seq: this.seq++,
      req,
      serving,
    });
  }

  private complete(c: Completion): void {
    if (c.serving) this.o.companions!.end(c.serving);
    c.req.finish({ status: 200, bytesOut: this.o.bytesOut ?? 2048 });
    // A freed slot may have let a queued request go at this very moment.
    for (const r of this.o.fleet.proxies[c.req.proxy].settle()) this.settled(r);
  }

  private minuteOf(ms: number): number {
    return Math.floor((ms - this.o.workload.startMs) / MINUTE);
  }

  /** The counts of minute m, closing the minutes before it. */
  private count(m: number): DecisionCounts {
    if (this.minuteIndex === undefined) this.minuteIndex = m;
    if (m > this.minuteIndex) this.closeMinutesBefore(this.o.workload.startMs + m * MINUTE);
    return this.minute;
  }

  private closeMinutesBefore(t: number): void {
    const m = this.minuteOf(t);
    if (this.minuteIndex === undefined || m <= this.minuteIndex) return;
    this.onMinute?.(this.o.workload.startMs + this.minuteIndex * MINUTE, this.minute);
    this.minute = emptyCounts();
    this.minuteIndex = m;
  }
}
