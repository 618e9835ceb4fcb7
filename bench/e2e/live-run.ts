/**
 * Earmark itself, end to end: a private influxd with the history backfilled, the real control-plane
 * service (startControlPlane) on a SimClock, emulated Envoy proxies running build/earmark.wasm and
 * synced over real gRPC, the replay's requests through them onto the instance model, usage reports
 * flowing back into InfluxDB and feeding the next cycles.
 *
 * Lock-step, so that a seed gives one result however fast the machine is: simulated time moves in
 * steps; at the end of each step the driver waits (in real time, the clock stopped) until every
 * usage report the proxies sent is stored, the cycle that fired has finished, and every proxy has
 * ACKed the plan in force (top-ups included). Steps end exactly where a cycle is due, so a cycle
 * always reads the service's clock at its own tick. Real time spent is measured, not simulated:
 * cycle time (the service's own stage timings) and plan lag (publish to the last proxy's ACK).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultSettings, type Settings } from '../../control-plane/config';
import { SimClock } from '../../control-plane/domain/clock';
import type { Instance, InstanceLoad } from '../../control-plane/domain/instance';
import { startControlPlane, type ControlPlane, type CycleReport } from '../../control-plane/service';
import { createForecastEngine } from '../../control-plane/forecast/engine';
import { DEFAULT_MODEL_FILE } from '../../control-plane/forecast/model/default-model';
import { startLocalInflux, type LocalInflux } from '../../scripts/influxdb/local-influxd';
import type { RequestOutcome } from '../../sim/instances/request-outcome';
import { SandboxPool, type PoolInstance } from '../../sim/instances/sandbox-pool';
import { ProxyFleet } from '../../sim/proxy';
import type { TraceArrivals } from './arrivals';
import { backfill, type BackfillResult } from './backfill';
import { LiveDriver, type DecisionTally } from './live-driver';
import { FALLBACK, policyYaml, TIER_NAME, type PolicyInput } from './policy';
import { LockStep, PlanLagWatch, ReservationMirror } from './lock-step';

const MINUTE = 60_000;
const PREAMBLE_MS = 1000;
const TICK_MS = 100;
const LOAD_EVERY_MS = 10_000;

export interface LiveRunOptions {
  arrivals: TraceArrivals;
  /** Trace minutes: history [historyFrom, replayFrom) is backfilled; [replayFrom, to) is replayed live. */
  historyFromMinute: number;
  replayFromMinute: number;
  toMinute: number;
  /** Held memory is counted in this window (the evaluated one). */
  window: { fromMs: number; toMs: number };
  instances: readonly PoolInstance[];
  coldStartMs: number;
  /** How long the platform keeps a sandbox no reservation holds (Earmark's plans decide the rest). */
  keepAliveMs: number;
  evictIdleKept: boolean;
  policy: PolicyInput;
  proxies: number;
  workers: number;
  /** Lock-step granularity, simulated ms. */
  stepMs: number;
  cycleIntervalMs: number;
  historySteps: number;
  horizonSteps: number;
  warmupSteps: number;
  /** ONNX model for the forecaster (null: baselines and the intermittent method only). */
  modelFile: string | null | undefined;
  /** An InfluxDB to use (a fresh database in it); default: a private influxd in a temporary folder. */
  influxUrl?: string;
  log: (line: string) => void;
  onOutcome: (o: RequestOutcome) => void;
}

export interface LiveRunResult {
  pool: SandboxPool;
  tally: DecisionTally;
  cycles: CycleReport[];
  planLagMs: number[];
  topUps: ControlPlane['cycle'] extends { topUps: infer T } ? T : never;
  backfill: BackfillResult;
  warmup: { steps: number; users: number; error?: string };
  policyYaml: string;
  realMs: { setup: number; replay: number; total: number };
}

export function companionInstances(list: readonly PoolInstance[], atMs: number): Instance[] {
  return list.map((p, i) => ({
    id: p.id,
    address: `10.42.0.${i + 1}:8080`,
    instanceClass: 'companion',
    capacity: {
      slots: 1_000_000,
      cpuMillicores: 1_000_000_000,
      memoryMb: Math.floor(p.memoryMb),
      bandwidthKbps: 1_000_000_000,
    },
    state: 'ready',
    readyAtMs: atMs,
  }));
}

function loadOf(
  pool: SandboxPool,
  instances: readonly Instance[],
  atMs: number,
  evictIdle: boolean,
): InstanceLoad[] {
  return instances.map((x, i) => ({
    instanceId: x.id,
    atMs,
    cpuMillicores: 0,
    // Idle kept sandboxes are given back under pressure: not load the allocator must plan around.
    // Memory owed to reservations not started yet is committed: without it, the allocator reads the
    // on-demand sandboxes in their way as reserved load and keeps it where it cannot start (session 8).
    memoryMb: (evictIdle ? pool.pinned(i, atMs) : pool.used(i)) + pool.owed(i),
    bandwidthKbps: 0,
    inFlight: pool.busy(i),
  }));
}

export async function runLive(o: LiveRunOptions): Promise<LiveRunResult> {
  const t0 = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-e2e-'));
  const closers: (() => Promise<unknown>)[] = [];
  try {
    let url = o.influxUrl;
    if (!url) {
      const influx: LocalInflux = await startLocalInflux({ dir: path.join(tmp, 'influx') });
      closers.push(() => influx.stop());
      url = influx.url;
    }
    const a = o.arrivals;
    const startMs = a.startMs + o.replayFromMinute * MINUTE;
    const endMs = a.startMs + o.toMinute * MINUTE;
    const database = `e2e_${crypto.randomBytes(4).toString('hex')}`;
    const instances = companionInstances(o.instances, startMs);
    const phase = (what: string) => o.log(`${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    phase(`backfilling minutes ${o.historyFromMinute}..${o.replayFromMinute} of history into InfluxDB`);
    const filled = await backfill({
      url,
      database,
      spoolDir: path.join(tmp, 'spool-backfill'),
      arrivals: a,
      fromMinute: o.historyFromMinute,
      toMinute: o.replayFromMinute,
      instances,
      tier: TIER_NAME,
      atMs: startMs,
    });
    const yaml = policyYaml(o.policy);
    const policyFile = path.join(tmp, 'policy.yaml');
    fs.writeFileSync(policyFile, yaml);
    const settings: Settings = {
      ...defaultSettings(),
      apiHost: '127.0.0.1',
      apiPort: 0,
      apiToken: crypto.randomBytes(16).toString('hex'),
      apiTokenFile: path.join(tmp, 'api-token'),
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      grpcToken: crypto.randomBytes(16).toString('hex'),
      influxUrl: url,
      influxDatabase: database,
      cycleIntervalMs: o.cycleIntervalMs,
      forecastHorizonSteps: o.horizonSteps,
      historySteps: o.historySteps,
      policyFile,
      dataDir: tmp,
      spoolDir: path.join(tmp, 'spool'),
      logLevel: 'warn',
    };
    // The proxies start a second early: their sync roots connect on their first tick.
    const clock = new SimClock(startMs - PREAMBLE_MS);
    const cycles: CycleReport[] = [];
    phase(`starting the control plane (warm-up: ${o.warmupSteps} steps of history through the forecaster)`);
    const engine = await createForecastEngine({
      modelFile: o.modelFile === undefined ? DEFAULT_MODEL_FILE : o.modelFile,
      horizon: o.horizonSteps,
      onModelError: (e) => o.log(`forecast model unavailable, baselines only: ${e.message}`),
    });
    closers.push(() => engine.close());
    const cp = await startControlPlane(settings, {
      clock,
      engine,
      warmupSteps: o.warmupSteps,
      warmupBudgetMs: 3_600_000, // never cut short: a budget in real time would make runs differ
      retrainEveryMs: 0,
      storeWriter: { flushIntervalMs: 5 },
      // Forecasts are kept for the dashboard; a full batch of 1,000 users is 300,000 points a cycle,
      // which would make InfluxDB the benchmark's bottleneck. Plans are still recorded.
      recordForecasts: false,
      onCycle: (r) => cycles.push(r),
    });
    closers.push(() => cp.stop());
    const lag = new PlanLagWatch(cp.distribution, o.proxies);
    const fleet = new ProxyFleet({
      clock,
      controlPlane: cp.grpcAddress,
      token: settings.grpcToken,
      proxies: o.proxies,
      workers: o.workers,
      followMs: 0,
      config: {
        // The platform's on-demand path takes what is not reserved: no separate limit in the filter.
        unreserved: { slots: 0, rate_per_minute: 0 },
        defaults: { fallback: FALLBACK },
      },
    });
    closers.unshift(() => fleet.close());
    const sync = new LockStep(cp, fleet, o.proxies, fleet.now());
    fleet.advanceTo(clock.now() + TICK_MS);
    await clock.advanceTo(clock.now() + TICK_MS);
    phase('control plane up; connecting the proxies');
    await sync.settle('the proxies to connect and ACK the first plan');
    const pool = new SandboxPool({
      instances: o.instances,
      userMemoryMb: a.users.map((u) => u.memoryMb),
      coldStartMs: o.coldStartMs,
      keepAliveMs: o.keepAliveMs,
      evictIdleKept: o.evictIdleKept,
      window: o.window,
    });
    const instanceOf = new Map(instances.map((x, i) => [x.address, i]));
    const mirror = new ReservationMirror(
      pool,
      a.users.map((u) => u.id),
      instanceOf,
      () => fleet.planVersions().join(','),
    );
    mirror.apply(cp.currentPlan(), clock.now());
    const driver = new LiveDriver(fleet, a, pool, instanceOf, o.replayFromMinute, o.toMinute, o.onOutcome);
    const setupMs = performance.now() - t0;
    o.log(
      `replaying ${o.toMinute - o.replayFromMinute} minutes live (setup took ${(setupMs / 1000).toFixed(1)} s)`,
    );
    const t1 = performance.now();
    let lastLog = t1;
    for (let t = clock.now(); t < endMs || driver.undecided > 0;) {
      const due = cp.cycle.status().nextAtMs ?? Infinity;
      const next = Math.min(t + o.stepMs, due > t ? due : Infinity, t < startMs ? startMs : Infinity);
      driver.runUntil(next);
      await sync.settle('usage reports');
      // The companions report their load every 10 s, as a load reporter would (the allocator
      // subtracts what its plan does not account for).
      if (Math.floor(next / LOAD_EVERY_MS) > Math.floor(t / LOAD_EVERY_MS))
        await cp.state.reportLoad(loadOf(pool, instances, next, o.evictIdleKept));
      await clock.advanceTo(next);
      await sync.settle('the cycle and its plan');
      mirror.apply(cp.currentPlan(), next);
      t = next;
      if (t > endMs + 10 * MINUTE)
        throw new Error(`requests still undecided 10 minutes after the replay ended: ${driver.undecided}`);
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        const done = (t - startMs) / (endMs - startMs);
        o.log(
          `  ${(100 * Math.min(1, done)).toFixed(0)} % of simulated time, ${cycles.length} cycles, ${driver.tally.sent} requests`,
        );
      }
    }
    pool.close(endMs);
    const replayMs = performance.now() - t1;
    const status = cp.status();
    return {
      pool,
      tally: driver.tally,
      cycles,
      planLagMs: lag.lagsMs,
      topUps: { ...status.cycle.topUps },
      backfill: filled,
      warmup: status.warmup,
      policyYaml: yaml,
      realMs: { setup: setupMs, replay: replayMs, total: performance.now() - t0 },
    };
  } finally {
    for (const c of closers) await c().catch((e) => o.log(`closing: ${(e as Error).message}`));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
