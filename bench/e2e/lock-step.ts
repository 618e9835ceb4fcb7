/**
 * Keeping the simulated world and the real service in step, and watching what crosses between them:
 *   - LockStep: waits (real time, simulated time stopped) until the service has stored every usage
 *     report the proxies sent, no cycle is running and every proxy has ACKed the current plan;
 *   - PlanLagWatch: real time from each publish to the ACK of the last proxy;
 *   - ReservationMirror: the plan in force, as the proxies hold it, told to the instance model, so
 *     the reserved instance holds (and warms) what the plan reserves, from the moment it is in force.
 */
import { performance } from 'node:perf_hooks';
import type { DistributionServer } from '../../control-plane/distribute';
import type { Plan } from '../../control-plane/domain/plan';
import type { ControlPlane } from '../../control-plane/service';
import type { SandboxPool } from '../../sim/instances/sandbox-pool';
import type { ProxyFleet } from '../../sim/proxy';

const SETTLE_TIMEOUT_MS = Number(process.env.E2E_SETTLE_TIMEOUT_MS ?? 120_000);

export class LockStep {
  constructor(
    private readonly cp: ControlPlane,
    private readonly fleet: ProxyFleet,
    private readonly proxies: number,
    /** When the proxies (and their sync roots) started, on their clock. */
    private readonly fleetStartMs: number,
  ) {}

  /** Resolves when the service and the proxies have nothing in flight between them. */
  async settle(what: string): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      for (const p of this.fleet.proxies) p.envoy.drain();
      const state = this.pending();
      if (state === '') return;
      if (Date.now() > deadline) {
        const usage = this.fleet.proxies.map((p) => {
          const m = p.metrics();
          const keys = Object.keys(m).filter((k) => /usage|sync_stream/.test(k));
          return `${p.nodeId} ${keys.map((k) => `${k}=${m[k]}`).join(' ')}`;
        });
        throw new Error(
          `lock-step: still waiting for ${what} after ${SETTLE_TIMEOUT_MS / 1000} s (${state}); ` +
            `proxies: ${usage.join('; ')}; service: ${JSON.stringify(this.cp.distribution.usageNodes())}`,
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /**
   * What is still in flight ('' for nothing). A proxy's usage reports are numbered from its start
   * time in ms (plugin/sync/usage_report.ts), one per report sent, empty ones included, so the k-th
   * report is stored once the service accepted sequence start + k. (The proxy's own
   * earmark_usage_reports_acked does not count empty reports, so it cannot be compared with
   * earmark_usage_reports_sent.)
   */
  pending(): string {
    if (this.cp.cycle.status().state === 'running') return 'a cycle is running';
    const accepted = new Map(this.cp.distribution.usageNodes().map((n) => [n.nodeId, n.acceptedSequence]));
    for (const p of this.fleet.proxies) {
      const sent = p.metrics().earmark_usage_reports_sent ?? 0;
      const missing = this.fleetStartMs + sent - (accepted.get(p.nodeId) ?? this.fleetStartMs);
      if (sent > 0 && missing > 0) return `${p.nodeId}: ${missing} usage reports not stored yet`;
    }
    const nodes = this.cp.distribution.nodes().filter((n) => n.connected);
    if (nodes.length < this.proxies) return `${nodes.length} of ${this.proxies} proxies connected`;
    const behind = nodes.find((n) => n.revisionsBehind > 0 || n.inFlight > 0);
    if (behind) return `${behind.nodeId} has not ACKed revision ${behind.currentRevision}`;
    return '';
  }
}

/** Real milliseconds from each publish (a cycle's plan or a top-up) until every proxy ACKed it. */
export class PlanLagWatch {
  readonly lagsMs: number[] = [];

  constructor(
    private readonly d: DistributionServer,
    private readonly proxies: number,
  ) {
    const plan = d.publishPlan.bind(d);
    const planYielding = d.publishPlanYielding.bind(d);
    const changes = d.publishChanges.bind(d);
    d.publishPlan = (p) => this.watch(plan(p));
    // The service's cycle publishes this way; the clock starts when the publish itself is done.
    d.publishPlanYielding = async (p, o) => this.watch(await planYielding(p, o));
    d.publishChanges = (c) => this.watch(changes(c));
  }

  private watch<T extends { revision: number; changed: boolean }>(r: T): T {
    if (!r.changed) return r;
    const t0 = performance.now();
    const poll = () => {
      const nodes = this.d.nodes().filter((n) => n.connected);
      if (nodes.length >= this.proxies && nodes.every((n) => n.ackedRevision >= r.revision)) {
        this.lagsMs.push(performance.now() - t0);
        return;
      }
      if (performance.now() - t0 < SETTLE_TIMEOUT_MS) setTimeout(poll, 1);
    };
    setTimeout(poll, 0);
    return r;
  }
}

export class ReservationMirror {
  private readonly slots: Int32Array;
  private readonly inst: Int32Array;
  private version: string | undefined;
  private nextExpiry = Infinity;

  constructor(
    private readonly pool: SandboxPool,
    private readonly users: readonly string[],
    private readonly instanceOf: ReadonlyMap<string, number>,
    private readonly versionOf: () => string,
  ) {
    this.slots = new Int32Array(users.length);
    this.inst = new Int32Array(users.length).fill(-1);
  }

  /** Applies `plan` (the one the proxies hold) at `now` if it changed or a reservation ran out. */
  apply(plan: Plan | undefined, now: number): void {
    const version = this.versionOf();
    if (version === this.version && now < this.nextExpiry) return;
    this.version = version;
    this.nextExpiry = Infinity;
    for (let u = 0; u < this.users.length; u++) {
      const r = plan?.reservations.get(this.users[u]);
      const active = r !== undefined && r.notBeforeMs <= now && now < r.expiresMs;
      const slots = active ? r.slots : 0;
      const inst = active ? (this.instanceOf.get(r.instanceAddress) ?? -1) : -1;
      if (active) this.nextExpiry = Math.min(this.nextExpiry, r.expiresMs);
      if (slots === this.slots[u] && inst === this.inst[u]) continue;
      this.slots[u] = slots;
      this.inst[u] = inst;
      this.pool.setReservation(u, inst, slots, now);
    }
  }
}
