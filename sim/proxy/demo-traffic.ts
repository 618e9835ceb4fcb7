/**
 * The simulated world of `npm start`, around a running control plane: companion instances that
 * register and report load, users with profiles, a day of usage history when the store has none,
 * emulated Envoy proxies synced over gRPC, and the synthetic workload played through them — all on
 * the control plane's SimClock (paced by the caller).
 */
import type { SimClock, TimerHandle } from '../../control-plane/domain/clock';
import type { Capacity } from '../../control-plane/domain/instance';
import type { UsageReport } from '../../control-plane/domain/usage';
import type { UserProfile } from '../../control-plane/domain/user';
import type { DemandQuery, ResourceProfile } from '../../control-plane/store';
import { CompanionInstances, type InstanceRegistryPort } from '../instances/companions';
import { SyntheticWorkload } from '../workload/synthetic';
import { ProxyFleet } from './fleet';
import { usageHistory } from './history';
import { TrafficDriver } from './traffic';

const MINUTE = 60_000;
/** The workload's minute 0: a fixed UTC midnight, so daily cycles follow the time of day and a
 * restarted demo continues the same users' behaviour. */
export const WORKLOAD_EPOCH = Date.UTC(2025, 0, 1);
const BYTES_IN = 512;
const BYTES_OUT = 2048;

/** What the demo needs of the control plane's store. */
export interface DemoStore {
  writeProfiles(p: readonly UserProfile[]): Promise<void>;
  writeResourceProfiles(p: readonly ResourceProfile[]): Promise<void>;
  writeUsage(r: UsageReport): Promise<void>;
  readDemandWindows(q: DemandQuery): Promise<{ values: Float32Array }>;
  flush(): Promise<void>;
}

export interface DemoTrafficOptions {
  clock: SimClock;
  /** host:port and token of the distribution server. */
  controlPlane: string;
  token?: string;
  registry: InstanceRegistryPort;
  store: DemoStore;
  users: number;
  seed: number;
  proxies: number;
  workers: number;
  instances: number;
  capacity: Capacity;
  /** Usage history written before the start when the store has none for the last hour (0 = none). */
  historyMs: number;
  /** Instance load reports, simulated ms (default 10 s). */
  loadEveryMs?: number;
}

export class DemoTraffic {
  readonly workload: SyntheticWorkload;
  readonly companions: CompanionInstances;
  fleet!: ProxyFleet;
  driver!: TrafficDriver;
  private loadTimer: TimerHandle | undefined;
  /** Minutes of history written at start. */
  backfilledMinutes = 0;

  constructor(private readonly o: DemoTrafficOptions) {
    this.workload = new SyntheticWorkload({ seed: o.seed, users: o.users, startMs: WORKLOAD_EPOCH });
    this.companions = new CompanionInstances({ count: o.instances, capacity: o.capacity });
  }

  async start(): Promise<void> {
    const { o } = this;
    const now = o.clock.now();
    await this.companions.register(o.registry, now);
    await o.store.writeProfiles(
      this.workload.users.map((u) => ({ user: u.id, tier: u.tier, updatedAtMs: now })),
    );
    await o.store.writeResourceProfiles(
      this.workload.users.map((u) => ({
        user: u.id,
        durationMs: u.serviceMs,
        memoryMb: u.memoryMb,
        cpuFraction: 0.5,
        bytesPerRequest: BYTES_IN + BYTES_OUT,
        source: 'sim/workload/synthetic',
        updatedAtMs: now,
      })),
    );
    if (o.historyMs > 0) await this.backfill(now);
    this.fleet = new ProxyFleet({
      clock: o.clock,
      controlPlane: o.controlPlane,
      token: o.token,
      proxies: o.proxies,
      workers: o.workers,
      followMs: 0, // the driver moves the proxies, arrival by arrival
    });
    this.driver = new TrafficDriver(
      { fleet: this.fleet, workload: this.workload, companions: this.companions, bytesOut: BYTES_OUT },
      now,
    );
    this.driver.attach(o.clock, 250);
    this.reportLoad();
    this.adminUrls = await Promise.all(this.fleet.proxies.map((p) => p.startAdmin()));
  }

  /** Each proxy's admin address (`/stats/prometheus`, `/ready`), once started. */
  adminUrls: string[] = [];

  private reportLoad(): void {
    const every = this.o.loadEveryMs ?? 10_000;
    this.loadTimer = this.o.clock.setTimer(every, () => {
      void this.o.registry.reportLoad(this.companions.load(this.o.clock.now())).catch(() => undefined);
      this.reportLoad();
    });
  }

  /**
   * Writes the workload's past usage (as if proxies had reported it before Earmark reserved
   * anything), so the first forecasts have a day to learn from.
   */
  private async backfill(now: number): Promise<void> {
    const { store } = this.o;
    const end = Math.floor(now / MINUTE) * MINUTE;
    const recent = await store.readDemandWindows({ fromMs: end - 60 * MINUTE, toMs: end, stepMs: MINUTE });
    if (recent.values.some((v) => v > 0)) return;
    const reports = usageHistory(this.workload, end - this.o.historyMs, end, {
      bytesIn: BYTES_IN,
      bytesOut: BYTES_OUT,
    });
    await Promise.all([...reports.map((r) => store.writeUsage(r)), store.flush()]);
    this.backfilledMinutes = reports.length;
  }

  async stop(): Promise<void> {
    this.loadTimer?.cancel();
    this.driver?.detach();
    await this.fleet?.close();
  }
}
