/**
 * A small, deterministic world for the service tests: a real influxd (one per mocha run), the whole
 * control plane on a SimClock, emulated Envoy proxies on build/earmark.wasm synced over gRPC, two
 * companion instances, and three users whose history is in the store before the service starts:
 *   burst-user  (gold)  5-minute bursts of BURST_RPM every 30 minutes, idle in between
 *   steady-gold (gold)  STEADY_RPM every minute
 *   steady-free (free)  STEADY_RPM every minute
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSettings, type Settings } from '../../../control-plane/config';
import { MemoryLogger } from '../../../control-plane/distribute';
import { SimClock } from '../../../control-plane/domain/clock';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../../../control-plane/service';
import { Store } from '../../../control-plane/store';
import { CompanionInstances } from '../../../sim/instances/companions';
import {
  ProxyFleet,
  TrafficDriver,
  usageHistory,
  type ArrivalSource,
  type CountSource,
} from '../../../sim/proxy';
import { testInflux, uniqueDb } from '../../support/influx';

export const MINUTE = 60_000;
export const BURST_RPM = 60;
export const STEADY_RPM = 30;
export const HISTORY_MIN = 360;
/** The service starts here; the next burst begins 20 minutes later. */
export const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * 3600_000;
export const BURST_START = T0 + 20 * MINUTE;
const PHASE = (HISTORY_MIN + 20) % 30;

export class SmallWorkload implements ArrivalSource, CountSource {
  readonly startMs = T0 - HISTORY_MIN * MINUTE;
  readonly users = [
    { id: 'burst-user', tier: 'gold', serviceMs: 200, memoryMb: 256 },
    { id: 'steady-gold', tier: 'gold', serviceMs: 200, memoryMb: 256 },
    { id: 'steady-free', tier: 'free', serviceMs: 200, memoryMb: 256 },
  ];
  minuteOf(ms: number): number {
    return Math.floor((ms - this.startMs) / MINUTE);
  }
  inBurst(m: number): boolean {
    return (((m - PHASE) % 30) + 30) % 30 < 5;
  }
  count(u: number, m: number): number {
    if (u === 0) return this.inBurst(m) ? BURST_RPM : 0;
    return STEADY_RPM;
  }
  /** Each user's requests evenly spaced in the minute, users interleaved. */
  arrivals(m: number): { offsetMs: Float64Array; user: Uint32Array } {
    const all: [number, number][] = [];
    this.users.forEach((_, u) => {
      const n = this.count(u, m);
      for (let i = 0; i < n; i++) all.push([((i + 0.5) * MINUTE) / n + u, u]);
    });
    all.sort((a, b) => a[0] - b[0]);
    return { offsetMs: Float64Array.from(all, (x) => x[0]), user: Uint32Array.from(all, (x) => x[1]) };
  }
}

export interface World {
  /** What the service logged (every level). */
  logs: MemoryLogger['lines'];
  clock: SimClock;
  cp: ControlPlane;
  fleet: ProxyFleet;
  driver: TrafficDriver;
  workload: SmallWorkload;
  companions: CompanionInstances;
  settings: Settings;
  /** Advances one simulated minute, then waits for the cycle and for the proxies to hold its plan. */
  minute(): Promise<void>;
  /** Advances 100 ms at a time until `pred` holds (real-time bound). */
  until(pred: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function testSettings(over: Partial<Settings> = {}): Promise<Settings> {
  const influx = await testInflux();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-service-'));
  return {
    ...defaultSettings(),
    influxUrl: influx.url,
    influxDatabase: uniqueDb('service'),
    apiPort: 0,
    grpcPort: 0,
    apiToken: 'api-test-token',
    grpcToken: 'grpc-test-token',
    dataDir: dir,
    spoolDir: path.join(dir, 'spool'),
    historySteps: 240,
    logLevel: 'error',
    ...over,
  };
}

/** Writes profiles, instances and HISTORY_MIN minutes of usage before T0, then starts everything. */
export async function startWorld(o: ControlPlaneOptions = {}, over: Partial<Settings> = {}): Promise<World> {
  const settings = await testSettings(over);
  const workload = new SmallWorkload();
  const companions = new CompanionInstances({
    count: 2,
    capacity: { slots: 64, cpuMillicores: 4000, memoryMb: 16384, bandwidthKbps: 1_000_000 },
  });
  const seed = await Store.open({
    url: settings.influxUrl,
    database: settings.influxDatabase,
    spoolDir: path.join(settings.dataDir, 'seed-spool'),
  });
  await seed.schemaReady;
  await seed.writeProfiles(
    workload.users.map((u) => ({ user: u.id, tier: u.tier, updatedAtMs: workload.startMs })),
  );
  await seed.writeInstances(companions.instances, workload.startMs);
  await Promise.all([
    ...usageHistory(workload, workload.startMs, T0).map((r) => seed.writeUsage(r)),
    seed.flush(),
  ]);
  await seed.close();

  const clock = new SimClock(T0);
  const logger = new MemoryLogger();
  const cp = await startControlPlane(settings, { clock, logger, retrainEveryMs: 0, ...o });
  const fleet = new ProxyFleet({
    clock,
    controlPlane: cp.grpcAddress,
    token: settings.grpcToken,
    proxies: 1,
    workers: 2,
    followMs: 0,
  });
  const driver = new TrafficDriver({ fleet, workload, companions }, T0);
  driver.attach(clock, 250);
  const until = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await clock.advance(100);
      fleet.advanceTo(clock.now());
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const onPlan = () => {
    const v = cp.currentPlan()?.version;
    return !!v && fleet.planVersions().every((x) => x === v || !!x?.startsWith(v + '+'));
  };
  return {
    logs: logger.lines,
    clock,
    cp,
    fleet,
    driver,
    workload,
    companions,
    settings,
    until,
    async minute() {
      await clock.advance(MINUTE);
      await cp.cycle.idle();
      await until(onPlan, 'the plan in force on every proxy');
    },
    async close() {
      driver.detach();
      await fleet.close();
      await cp.stop();
      fs.rmSync(settings.dataDir, { recursive: true, force: true });
    },
  };
}
