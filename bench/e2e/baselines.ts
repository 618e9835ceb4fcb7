/**
 * The four comparison policies on the replay's arrivals and instances (sim/baselines), each scored
 * into its own OutcomeLog:
 *   keep-alive  — no prediction: a request's sandbox is created on demand and kept alive 10 min
 *                 after its last request;
 *   reactive    — the same keep-alive, behind Envoy's adaptive concurrency filter (gradient
 *                 controller, Envoy's defaults) in every proxy: over the limit → 503;
 *   static      — every user holds its peak concurrency of the replay, all the time;
 *   oracle      — perfect foresight: each minute, exactly the peak concurrency the minute will
 *                 have, in place the same lead time before it as Earmark's plans;
 *   histogram   — the hybrid histogram policy of "Serverless in the Wild" (histogram-baseline.ts):
 *                 per-function idle-time histograms learned from history, pre-warm and hold windows.
 */
import { hashRoute } from '../../sim/proxy/fleet';
import { oracleSchedule, peakOf, type PeakProfile } from '../../sim/baselines/demand-profile';
import { replayBaseline, type BaselineSpec } from '../../sim/baselines/replay';
import type { PoolInstance } from '../../sim/instances/sandbox-pool';
import type { HistogramPolicyConfig } from '../../sim/baselines/idle-histogram';
import type { TraceArrivals } from './arrivals';
import { histogramSpec } from './histogram-baseline';
import { OutcomeLog } from './outcomes';

export const BASELINES = ['keep-alive', 'reactive', 'static', 'oracle', 'histogram'] as const;
export type BaselineName = (typeof BASELINES)[number];

export interface BaselineContext {
  arrivals: TraceArrivals;
  /** Replayed minutes (warm-up + evaluated) and the evaluated window. */
  fromMinute: number;
  toMinute: number;
  window: { fromMs: number; toMs: number };
  sloMs: number;
  instances: readonly PoolInstance[];
  coldStartMs: number;
  keepAliveMs: number;
  evictIdleKept: boolean;
  leadMs: number;
  proxies: number;
  seed: number;
  /** Peak in flight per user and minute over the replayed minutes. */
  need: PeakProfile;
  /** The histogram policy's parameters (default: HISTOGRAM_DEFAULTS). */
  histogram?: Partial<HistogramPolicyConfig>;
}

export interface BaselineRun {
  name: BaselineName;
  log: OutcomeLog;
  heldGbHours: number;
  reservedGbHours: number;
  /** Mean GB held per minute of the window. */
  heldGbPerMinute: number[];
  heldGbHoursByUser: number[];
  realMs: number;
  extra: Record<string, number>;
}

export function baselineSpec(name: BaselineName, c: BaselineContext): BaselineSpec {
  const start = c.arrivals.startMs + c.fromMinute * 60_000;
  switch (name) {
    case 'keep-alive':
      return { name, keepAliveMs: c.keepAliveMs };
    case 'reactive': {
      const ids = c.arrivals.users.map((u) => u.id);
      return {
        name,
        keepAliveMs: c.keepAliveMs,
        limiter: { proxies: c.proxies, route: (u) => hashRoute(ids[u], c.proxies), seed: c.seed },
      };
    }
    case 'static': {
      const peak = peakOf(c.need);
      return {
        name,
        keepAliveMs: 0,
        reservations: Array.from(peak, (slots, user) => ({ atMs: start, user, slots })).filter(
          (r) => r.slots > 0,
        ),
      };
    }
    case 'oracle':
      return { name, keepAliveMs: 0, reservations: oracleSchedule(c.need, start, c.leadMs) };
    case 'histogram':
      return histogramSpec(c);
  }
}

export function runBaseline(name: BaselineName, c: BaselineContext): BaselineRun {
  const t0 = performance.now();
  const log = new OutcomeLog(c.window.fromMs, c.window.toMs, c.sloMs, c.arrivals.users.length);
  const r = replayBaseline(
    baselineSpec(name, c),
    c.arrivals,
    {
      instances: c.instances,
      userMemoryMb: c.arrivals.users.map((u) => u.memoryMb),
      coldStartMs: c.coldStartMs,
      evictIdleKept: c.evictIdleKept,
      window: c.window,
    },
    { fromMinute: c.fromMinute, toMinute: c.toMinute },
    (o) => log.add(o),
  );
  const extra: Record<string, number> = { ...r.pool.counters };
  if (r.limiters.length > 0) {
    const s = r.limiters.map((l) => l.stats);
    extra.limiterMeanLimit =
      s.reduce((a, x) => a + x.limitSum, 0) /
      Math.max(
        1,
        s.reduce((a, x) => a + x.limitUpdates, 0),
      );
    extra.minRttWindows = s.reduce((a, x) => a + x.minRttWindows, 0);
    extra.blocked = s.reduce((a, x) => a + x.blocked, 0);
  }
  return {
    name,
    log,
    heldGbHours: r.pool.held.gbHours(),
    reservedGbHours: r.pool.held.reservedGbHours(),
    heldGbPerMinute: r.pool.held.meanGbPerBin(),
    heldGbHoursByUser: r.pool.held.gbHoursByUser(),
    realMs: performance.now() - t0,
    extra,
  };
}
