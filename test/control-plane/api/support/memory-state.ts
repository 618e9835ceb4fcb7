/**
 * An in-memory ControlPlaneState: the test double of the port the API runs on. Data is seeded by
 * the tests; `unavailable` makes every call fail as an unreachable store would.
 */
import type { ResourceKind } from '../../../../control-plane/domain/demand';
import type { DemandEvent } from '../../../../control-plane/domain/event';
import type { Instance, InstanceLoad } from '../../../../control-plane/domain/instance';
import type { Plan } from '../../../../control-plane/domain/plan';
import type { UserProfile } from '../../../../control-plane/domain/user';
import {
  DECISION_COUNTERS,
  DependencyUnavailableError,
  type ControlPlaneState,
  type CycleRunner,
  type DecisionPoint,
  type DependencyCheck,
  type ForecastSeries,
  type Page,
  type PolicyVersion,
  type ProxyStatus,
  type TimeRange,
} from '../../../../control-plane/api/port';

const tick = () => new Promise((r) => setImmediate(r));

export class MemoryState implements ControlPlaneState {
  users = new Map<string, UserProfile>();
  policies: PolicyVersion[] = [];
  events = new Map<string, DemandEvent>();
  forecasts = new Map<string, ForecastSeries>();
  usagePoints = new Map<string, DecisionPoint[]>();
  plan: Plan | undefined;
  instances = new Map<string, Instance>();
  loads: InstanceLoad[] = [];
  proxyList: ProxyStatus[] = [];
  checks: DependencyCheck[] = [
    { name: 'store', ok: true },
    { name: 'plan', ok: true },
  ];
  unavailable = false;
  /** The cycle behind /v1/cycle; none by default (an API-only process). */
  runner: CycleRunner | undefined;
  /** Calls that reached the port, by method: tests assert bad requests never get here. */
  calls: string[] = [];

  /** latencyMs: each call waits that long, as a remote store would (widens race windows). */
  constructor(private readonly opts: { policyCas?: boolean; latencyMs?: number } = {}) {}

  private async enter(method: string): Promise<void> {
    this.calls.push(method);
    if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    else await tick();
    if (this.unavailable)
      throw new DependencyUnavailableError('store', 'InfluxDB at http://127.0.0.1:1 is unreachable');
  }

  async listUsers(q: { limit: number; after?: string; tier?: string }): Promise<Page<UserProfile>> {
    await this.enter('listUsers');
    const all = [...this.users.values()]
      .filter(
        (u) => (q.tier === undefined || u.tier === q.tier) && (q.after === undefined || u.user > q.after),
      )
      .sort((a, b) => (a.user < b.user ? -1 : 1));
    const items = all.slice(0, q.limit);
    return { items, ...(all.length > q.limit && { next: items[items.length - 1].user }) };
  }
  async getUser(user: string) {
    await this.enter('getUser');
    return this.users.get(user);
  }
  async putUser(p: UserProfile) {
    await this.enter('putUser');
    this.users.set(p.user, p);
  }
  async deleteUser(user: string) {
    await this.enter('deleteUser');
    return this.users.delete(user);
  }

  async currentPolicy() {
    await this.enter('currentPolicy');
    return this.policies[this.policies.length - 1];
  }
  async getPolicyVersion(version: number) {
    await this.enter('getPolicyVersion');
    return this.policies.find((p) => p.version === version);
  }
  async listPolicyVersions(q: { limit: number; before?: number }) {
    await this.enter('listPolicyVersions');
    return [...this.policies]
      .reverse()
      .filter((p) => q.before === undefined || p.version < q.before)
      .slice(0, q.limit);
  }
  async appendPolicyVersion(next: PolicyVersion) {
    await this.enter('appendPolicyVersion');
    // Without CAS (policyCas: false) this is a blind append, as a careless store would do: only the
    // API's own serialization can then keep the versions consistent.
    const current = this.policies[this.policies.length - 1]?.version ?? 0;
    if ((this.opts.policyCas ?? true) && next.version !== current + 1) return false;
    this.policies.push(next);
    return true;
  }

  async listEvents(range?: TimeRange) {
    await this.enter('listEvents');
    return [...this.events.values()]
      .filter((e) => !range || (e.endMs > range.fromMs && e.startMs < range.toMs))
      .sort((a, b) => a.startMs - b.startMs);
  }
  async getEvent(id: string) {
    await this.enter('getEvent');
    return this.events.get(id);
  }
  async putEvent(e: DemandEvent) {
    await this.enter('putEvent');
    this.events.set(e.id, e);
  }
  async deleteEvent(id: string) {
    await this.enter('deleteEvent');
    return this.events.delete(id);
  }

  async forecast(user: string, resource: ResourceKind, range: TimeRange) {
    await this.enter('forecast');
    const s = this.forecasts.get(`${user}|${resource}`);
    if (!s) return undefined;
    return { ...s, points: s.points.filter((p) => p.atMs >= range.fromMs && p.atMs < range.toMs) };
  }
  private bucket(points: DecisionPoint[], range: TimeRange, stepMs: number): DecisionPoint[] {
    const out: DecisionPoint[] = [];
    for (let t = range.fromMs; t < range.toMs; t += stepMs) {
      const p: DecisionPoint = {
        atMs: t,
        requests: 0,
        reserved: 0,
        queued: 0,
        redirected: 0,
        throttled: 0,
        unreserved: 0,
        shortfall: 0,
        peakInFlight: 0,
      };
      for (const x of points) {
        if (x.atMs < t || x.atMs >= t + stepMs) continue;
        for (const k of DECISION_COUNTERS) p[k] += x[k];
        p.peakInFlight = Math.max(p.peakInFlight, x.peakInFlight);
      }
      out.push(p);
    }
    return out;
  }
  async usage(user: string, range: TimeRange, stepMs: number) {
    await this.enter('usage');
    return this.bucket(this.usagePoints.get(user) ?? [], range, stepMs);
  }
  async decisions(range: TimeRange, stepMs: number) {
    await this.enter('decisions');
    return this.bucket([...this.usagePoints.values()].flat(), range, stepMs);
  }

  async currentPlan() {
    await this.enter('currentPlan');
    return this.plan;
  }
  async reservation(user: string) {
    await this.enter('reservation');
    return this.plan?.reservations.get(user);
  }

  async listInstances() {
    await this.enter('listInstances');
    return [...this.instances.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  async getInstance(id: string) {
    await this.enter('getInstance');
    return this.instances.get(id);
  }
  async putInstance(i: Instance) {
    await this.enter('putInstance');
    this.instances.set(i.id, i);
  }
  async deleteInstance(id: string) {
    await this.enter('deleteInstance');
    return this.instances.delete(id);
  }
  async reportLoad(samples: InstanceLoad[]) {
    await this.enter('reportLoad');
    this.loads.push(...samples);
  }
  async instanceLoad(id: string, range: TimeRange) {
    await this.enter('instanceLoad');
    return this.loads
      .filter((l) => l.instanceId === id && l.atMs >= range.fromMs && l.atMs < range.toMs)
      .sort((a, b) => a.atMs - b.atMs);
  }

  async scaling() {
    await this.enter('scaling');
    return this.plan
      ? {
          planVersion: this.plan.version,
          issuedAtMs: this.plan.issuedAtMs,
          recommendations: this.plan.scaling,
        }
      : { recommendations: [] };
  }
  async proxies() {
    await this.enter('proxies');
    return this.proxyList;
  }
  cycleRunner() {
    this.calls.push('cycleRunner');
    return this.runner;
  }
  async readiness() {
    return this.checks;
  }
}
