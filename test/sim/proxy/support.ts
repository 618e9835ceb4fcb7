/** An in-process distribution server and an emulated fleet on one SimClock, for the sim/proxy tests. */
import { DistributionServer } from '../../../control-plane/distribute';
import { SimClock } from '../../../control-plane/domain/clock';
import type { Plan } from '../../../control-plane/domain/plan';
import type { Reservation } from '../../../control-plane/domain/reservation';
import type { UsageReport } from '../../../control-plane/domain/usage';
import { ProxyFleet, type ProxyFleetOptions } from '../../../sim/proxy';

export const T0 = Date.UTC(2025, 5, 2, 9, 0);
export const TOKEN = 'fleet-test-token';

export function reservation(user: string, over: Partial<Reservation> = {}): Reservation {
  return {
    user,
    instanceId: 'i-1',
    instanceAddress: '10.1.0.1:8080',
    slots: 2,
    ratePerMinute: 6000,
    burst: 0,
    cpuMillicores: 100,
    memoryMb: 128,
    bandwidthKbps: 100,
    tier: 'gold',
    priority: 100,
    maxQueueWaitMs: 1000,
    onExhausted: 'queue',
    notBeforeMs: T0,
    expiresMs: T0 + 3600_000,
    fallback: '',
    ...over,
  };
}

export interface Rig {
  clock: SimClock;
  server: DistributionServer;
  /** The gRPC port the fleet connects to. */
  port: number;
  fleet: ProxyFleet;
  reports: UsageReport[];
  publish(version: string, reservations: Reservation[]): Promise<void>;
  /** Moves time 100 ms at a time (the sync root connects and reports on ticks) until `pred` holds. */
  until(pred: () => boolean, what: string): Promise<void>;
  /** Moves the clock (and so the fleet) forward. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function rig(o: Partial<ProxyFleetOptions> = {}): Promise<Rig> {
  const clock = new SimClock(T0);
  const reports: UsageReport[] = [];
  const server = new DistributionServer({
    auth: { tokens: [TOKEN] },
    clock,
    usageSink: { writeUsage: (r) => void reports.push(r) },
    usage: { reportIntervalMs: 1000 },
  });
  const { port } = await server.start({ host: '127.0.0.1', port: 0 });
  const fleet = new ProxyFleet({ clock, controlPlane: `127.0.0.1:${port}`, token: TOKEN, ...o });
  const until = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await clock.advance(100);
      fleet.advanceTo(clock.now()); // for fleets that do not follow the clock themselves
      await new Promise((res) => setTimeout(res, 2));
    }
  };
  return {
    clock,
    server,
    port,
    fleet,
    reports,
    until,
    async publish(version, reservations) {
      const plan: Plan = {
        version,
        issuedAtMs: clock.now(),
        reservations: new Map(reservations.map((r) => [r.user, r])),
        squeezed: [],
        scaling: [],
      };
      server.publishPlan(plan);
      await until(() => fleet.planVersions().every((v) => v === version), `plan ${version} on every proxy`);
    },
    advance: (ms) => clock.advance(ms),
    async close() {
      await fleet.close();
      await server.stop();
    },
  };
}
