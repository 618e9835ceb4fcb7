/**
 * The end-to-end benchmark, start to end: read the trace, place it in time, scale it, size the
 * cluster, replay it under the comparison policies (simulated; BASELINES) and under Earmark (the real
 * system, live-run.ts), score every policy the same way, write the report and return the JSON line.
 */
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { peakInFlight, peakOf } from '../../sim/baselines/demand-profile';
import type { PoolInstance } from '../../sim/instances/sandbox-pool';
import { scaleForRate, TraceArrivals } from './arrivals';
import { BASELINES, runBaseline, type BaselineContext, type BaselineRun } from './baselines';
import { runLive, type LiveRunResult } from './live-run';
import type { E2eOptions } from './options';
import { OutcomeLog, type PolicySummary } from './outcomes';
import { writeReport, type ReportInput } from './report';
import { loadTrace } from './trace';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface E2eJson {
  served_reserved_pct: number;
  p99_added_ms: number;
  keepalive_p99_added_ms: number;
  rejected_or_late_pct: number;
  reactive_rejected_or_late_pct: number;
  reserved_resource_hours: number;
  keepalive_reserved_resource_hours: number;
  oracle_reserved_resource_hours: number;
}

export interface E2eResult {
  json: E2eJson | undefined;
  summaries: PolicySummary[];
  live: LiveRunResult | undefined;
  reportFile: string;
}

/**
 * Minute 0 of the trace: a Monday 00:00 UTC two to nine days ago. InfluxDB keeps raw points 14 days
 * (older writes are dropped), and the forecaster's calendar features (hour of day, day of week)
 * are then the same whatever the week the benchmark runs in.
 */
export function replayEpoch(nowMs = Date.now()): number {
  const day = Math.floor((nowMs - 2 * DAY) / DAY) * DAY;
  const dow = new Date(day).getUTCDay(); // 0 = Sunday
  return day - ((dow + 6) % 7) * DAY;
}

/** Instances whose memory adds up to `factor` × what static provisioning for the peak holds. */
export function sizeCluster(
  peakMb: number,
  largestSandboxMb: number,
  factor: number,
  count?: number,
): PoolInstance[] {
  const total = peakMb * factor;
  const n = count ?? Math.max(2, Math.ceil(total / 16_384));
  // One sandbox of slack per instance, so whole sandboxes still fit after splitting.
  const each = Math.ceil(total / n + largestSandboxMb);
  return Array.from({ length: n }, (_, i) => ({ id: `companion-${i + 1}`, memoryMb: each }));
}

/** The replay every policy shares: trace, window, arrivals, cluster and the baselines' context. */
export async function prepareReplay(o: E2eOptions, log: (line: string) => void) {
  const trace = await loadTrace(o.trace);
  const from = o.fromMinute ?? Math.floor(trace.minutes / 2);
  const to = Math.min(trace.minutes, from + (o.minutes ?? trace.minutes - from));
  if (!(from < to))
    throw new Error(`nothing to evaluate: the trace has ${trace.minutes} minutes, --from ${from}`);
  const replayFrom = Math.max(0, from - o.warmupMinutes);
  const scale = o.rate !== undefined ? scaleForRate(trace, from, to, o.rate) : o.scale;
  const epoch = replayEpoch();
  const arrivals = new TraceArrivals(trace, epoch, scale, o.seed);
  const window = { fromMs: epoch + from * MINUTE, toMs: epoch + to * MINUTE };
  const requests = arrivals.total(from, to);
  log(
    `${trace.users.length} users, ${trace.minutes} minutes; evaluating minutes ${from}..${to} (${requests} requests, scale ${scale.toPrecision(4)})`,
  );

  const need = peakInFlight(arrivals, replayFrom, to);
  const peaks = peakOf(need);
  let peakMb = 0;
  peaks.forEach((p, u) => (peakMb += p * arrivals.users[u].memoryMb));
  const largest = Math.max(...arrivals.users.map((u) => u.memoryMb));
  const instances = sizeCluster(peakMb, largest, o.capacityFactor, o.instances);

  const ctx: BaselineContext = {
    arrivals,
    fromMinute: replayFrom,
    toMinute: to,
    window,
    sloMs: o.sloMs,
    instances,
    coldStartMs: o.coldStartMs,
    keepAliveMs: o.keepAliveMs,
    evictIdleKept: o.evictIdle,
    leadMs: o.leadMs,
    proxies: o.proxies,
    seed: o.seed,
    need,
  };
  return { trace, from, to, replayFrom, scale, epoch, arrivals, window, requests, peakMb, instances, ctx };
}

export async function runE2e(o: E2eOptions, log: (line: string) => void): Promise<E2eResult> {
  const started = performance.now();
  const load0 = os.loadavg();
  const p = await prepareReplay(o, log);
  const { trace, from, to, replayFrom, scale, epoch, arrivals, window, requests, peakMb, instances, ctx } = p;
  const baselines: BaselineRun[] = [];
  for (const name of BASELINES) {
    const r = runBaseline(name, ctx);
    baselines.push(r);
    log(
      `${name}: ${describe(r.log.summary(name, r.heldGbHours, r.reservedGbHours))} (${(r.realMs / 1000).toFixed(1)} s)`,
    );
  }

  let live: LiveRunResult | undefined;
  const earmarkLog = new OutcomeLog(window.fromMs, window.toMs, o.sloMs, trace.users.length);
  if (!o.baselinesOnly) {
    const policy = {
      tier: o.tier,
      leadTimeMs: o.leadMs,
      validityMs: 300_000,
      rateBurstMs: o.rateBurstMs,
      instances: instances.length,
      instanceMemoryMb: instances[0].memoryMb,
      reservable: o.reservable,
    };
    live = await runLive({
      arrivals,
      historyFromMinute: 0,
      replayFromMinute: replayFrom,
      toMinute: to,
      window,
      instances,
      coldStartMs: o.coldStartMs,
      keepAliveMs: o.earmarkKeepAliveMs,
      evictIdleKept: o.evictIdle,
      policy,
      proxies: o.proxies,
      workers: o.workers,
      stepMs: o.stepMs,
      cycleIntervalMs: 60_000,
      historySteps: o.historySteps,
      horizonSteps: o.horizonSteps,
      warmupSteps: o.warmupSteps,
      modelFile: o.modelFile,
      influxUrl: o.influxUrl,
      log,
      onOutcome: (x) => earmarkLog.add(x),
    });
  }
  const summaries = baselines.map((b) => b.log.summary(b.name, b.heldGbHours, b.reservedGbHours));
  const earmark = live
    ? earmarkLog.summary('earmark', live.pool.held.gbHours(), live.pool.held.reservedGbHours())
    : undefined;
  if (earmark) {
    summaries.unshift(earmark);
    log(`earmark: ${describe(earmark)} (${(live!.realMs.total / 1000).toFixed(1)} s)`);
  }
  const by = (n: string) => summaries.find((s) => s.policy === n)!;
  const json: E2eJson | undefined = earmark && {
    served_reserved_pct: round(earmark.servedReservedPct, 3),
    p99_added_ms: round(earmark.p99AddedMs, 1),
    keepalive_p99_added_ms: round(by('keep-alive').p99AddedMs, 1),
    rejected_or_late_pct: round(earmark.rejectedOrLatePct, 4),
    reactive_rejected_or_late_pct: round(by('reactive').rejectedOrLatePct, 4),
    reserved_resource_hours: round(earmark.heldGbHours, 3),
    keepalive_reserved_resource_hours: round(by('keep-alive').heldGbHours, 3),
    oracle_reserved_resource_hours: round(by('oracle').heldGbHours, 3),
  };
  const input: ReportInput = {
    options: o,
    trace,
    from,
    to,
    replayFrom,
    scale,
    requests,
    epoch,
    instances,
    peakMb,
    baselines,
    earmark: earmark && live ? { summary: earmark, log: earmarkLog, live } : undefined,
    summaries,
    json,
    realMs: performance.now() - started,
    load: [load0, os.loadavg()],
  };
  const reportFile = writeReport(input);
  return { json, summaries, live, reportFile };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function describe(s: PolicySummary): string {
  return (
    `reserved ${s.servedReservedPct.toFixed(2)} %, rejected or late ${s.rejectedOrLatePct.toFixed(3)} %, ` +
    `p99 ${s.p99AddedMs.toFixed(0)} ms, held ${s.heldGbHours.toFixed(2)} GB-h`
  );
}
