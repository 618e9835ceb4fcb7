/**
 * ControlPlaneState over the real store (control-plane/store): profiles, policy versions, events,
 * forecasts, instances and load live in InfluxDB. The plan and the proxies' status are live state
 * of the service, passed in as providers; without them the latest stored plan is served.
 */
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { ResourceKind } from '../../domain/demand';
import type { DemandEvent } from '../../domain/event';
import type { Instance, InstanceLoad } from '../../domain/instance';
import type { Plan } from '../../domain/plan';
import type { UserProfile } from '../../domain/user';
import {
  InfluxHttpError,
  InfluxUnreachableError,
  MEASUREMENTS,
  RETENTION_POLICIES,
  type Store,
} from '../../store';
import {
  DependencyUnavailableError,
  type ControlPlaneState,
  type CycleRunner,
  type DependencyCheck,
  type Page,
  type PolicyDocument,
  type PolicyVersion,
  type ProxyStatus,
  type TimeRange,
} from '../port';
import { forecastSeries } from './forecast-series';
import { LatestPlan } from './latest-plan';
import { StoreHealth, within, type StoreHealthOptions } from './store-health';
import { readDecisions, type UsageQueryTarget } from './usage-query';

export interface StoreStateOptions {
  store: Store;
  /** The service clock. */
  now: () => number;
  /** Step of stored forecasts (the forecastStepMs setting). */
  forecastStepMs: number;
  /** The plan the cycle last published; default: the newest stored plan, re-read every planRefreshMs. */
  plan?: () => Plan | undefined;
  planRefreshMs?: number;
  /** The distribution server's view of the proxies; default: none connected. */
  proxies?: () => ProxyStatus[] | Promise<ProxyStatus[]>;
  /** The service's cycle (GET/POST /v1/cycle); absent in an API-only process. */
  cycle?: CycleRunner;
  /** More readiness checks (the cycle, the distribution server). */
  checks?: () => DependencyCheck[] | Promise<DependencyCheck[]>;
  /** Ping deadline and read watchdog (store-health.ts); tests shorten them. */
  health?: Pick<StoreHealthOptions, 'pingBudgetMs' | 'watchMs' | 'recheckMs'>;
}

/** Longest wait for the plan in /readyz: with the ping budget, well inside a 3 s probe timeout. */
export const READINESS_PLAN_MS = 1000;

/** Store failures that mean "InfluxDB cannot answer now" become 503s; anything else stays a bug. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InfluxUnreachableError || (err instanceof InfluxHttpError && err.retriable)) {
      throw new DependencyUnavailableError('store', `${what}: ${err.message}`);
    }
    throw err;
  }
}

const isTombstone = (p: UserProfile) => p.tier === '';

export class StoreState implements ControlPlaneState {
  private readonly usageTarget: UsageQueryTarget;
  private readonly latestPlan: LatestPlan;
  private readonly health: StoreHealth;

  constructor(private readonly o: StoreStateOptions) {
    this.health = new StoreHealth({ ping: () => o.store.ping(), url: o.store.url, ...o.health });
    this.usageTarget = {
      url: o.store.url,
      database: o.store.database,
      rp: RETENTION_POLICIES.raw.name,
      measurement: MEASUREMENTS.usage,
    };
    this.latestPlan = new LatestPlan(
      () => this.read('reading the plan', () => o.store.readLatestPlan()),
      o.now,
      o.planRefreshMs ?? 10_000,
    );
  }

  /** A store read: 503 on InfluxDB errors that may heal, and at once while it does not answer. */
  private read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.health.read(what, () => guard(what, fn));
  }

  // users
  async listUsers(q: { limit: number; after?: string; tier?: string }): Promise<Page<UserProfile>> {
    const all = await this.read('reading profiles', () => this.o.store.readProfiles());
    for (const [u, p] of all) if (isTombstone(p)) all.delete(u);
    const ids = [...all.keys()].filter((u) => q.after === undefined || u > q.after).sort();
    const items: UserProfile[] = [];
    let i = 0;
    for (; i < ids.length && items.length < q.limit; i++) {
      const p = all.get(ids[i])!;
      if (q.tier === undefined || p.tier === q.tier) items.push(p);
    }
    const more = ids.slice(i).some((u) => q.tier === undefined || all.get(u)!.tier === q.tier);
    return { items, ...(more && items.length > 0 && { next: items[items.length - 1].user }) };
  }
  async getUser(user: string) {
    const p = (await this.read('reading a profile', () => this.o.store.readProfiles([user]))).get(user);
    return p && !isTombstone(p) ? p : undefined;
  }
  putUser(profile: UserProfile) {
    return guard('writing a profile', () => this.o.store.writeProfiles([profile]));
  }
  async deleteUser(user: string) {
    if (!(await this.getUser(user))) return false;
    // The store has no profile deletion yet: a newest point with an empty tier hides the user.
    const tombstone = {
      measurement: MEASUREMENTS.userProfile,
      tags: { user },
      fields: { tier: '' },
      timeMs: this.o.now(),
    };
    await guard('deleting a profile', () =>
      this.o.store.writer.write(RETENTION_POLICIES.state.name, [tombstone], { now: true }),
    );
    return true;
  }

  // policy versions: the store keeps the document as YAML text and the version as a label
  private toPolicy(v: { version: string; yaml: string; author: string; savedAtMs: number }): PolicyVersion {
    return {
      version: Number(v.version),
      policy: (parseYaml(v.yaml) ?? {}) as PolicyDocument,
      createdAtMs: v.savedAtMs,
      author: v.author,
      source: v.yaml,
    };
  }
  async currentPolicy() {
    const v = await this.read('reading the policy', () => this.o.store.readLatestPolicy());
    return v && this.toPolicy(v);
  }
  async getPolicyVersion(version: number) {
    const v = await this.read('reading a policy version', () =>
      this.o.store.readPolicyVersion(String(version)),
    );
    return v && this.toPolicy(v);
  }
  async listPolicyVersions(q: { limit: number; before?: number }) {
    const need = q.before === undefined ? q.limit : q.limit + (await this.currentVersion()) - q.before + 1;
    const all = await this.read('reading policy history', () =>
      this.o.store.readPolicyHistory(Math.max(1, need)),
    );
    return all
      .map((v) => this.toPolicy(v))
      .filter((v) => q.before === undefined || v.version < q.before)
      .slice(0, q.limit);
  }
  private async currentVersion(): Promise<number> {
    return (await this.currentPolicy())?.version ?? 0;
  }
  /** Compare-and-set within this process (the API serializes policy writes); see README for several. */
  async appendPolicyVersion(next: PolicyVersion) {
    if (next.version !== (await this.currentVersion()) + 1) return false;
    const yaml = next.source ?? toYaml(next.policy);
    await guard('writing the policy', () =>
      this.o.store.writePolicy({
        version: String(next.version),
        yaml,
        author: next.author ?? 'api',
        savedAtMs: next.createdAtMs,
      }),
    );
    return true;
  }

  // events
  listEvents(range?: TimeRange) {
    return this.read('reading events', () => this.o.store.readEvents(range?.fromMs, range?.toMs));
  }
  async getEvent(id: string) {
    return (await this.listEvents()).find((e) => e.id === id);
  }
  async putEvent(e: DemandEvent) {
    // Flush at once: someone waits on this write, and the writer's time trigger is a second.
    await guard('writing an event', () => Promise.all([this.o.store.writeEvents([e]), this.o.store.flush()]));
  }
  async deleteEvent(id: string) {
    if (!(await this.getEvent(id))) return false;
    await guard('deleting an event', () =>
      Promise.all([this.o.store.deleteEvent(id, this.o.now()), this.o.store.flush()]),
    );
    return true;
  }

  // demand
  async forecast(user: string, resource: ResourceKind, range: TimeRange) {
    const stored = await this.read('reading forecasts', () =>
      this.o.store.readForecasts({ user, resource, ...range }),
    );
    return forecastSeries(user, resource, stored, this.o.forecastStepMs);
  }
  usage(user: string, range: TimeRange, stepMs: number) {
    return this.health.read('reading usage', () => readDecisions(this.usageTarget, range, stepMs, user));
  }
  decisions(range: TimeRange, stepMs: number) {
    return this.health.read('reading decisions', () => readDecisions(this.usageTarget, range, stepMs));
  }

  // plan
  async currentPlan() {
    return this.o.plan ? this.o.plan() : this.latestPlan.get();
  }
  async reservation(user: string) {
    return (await this.currentPlan())?.reservations.get(user);
  }
  async scaling() {
    const p = await this.currentPlan();
    return p
      ? { planVersion: p.version, issuedAtMs: p.issuedAtMs, recommendations: p.scaling }
      : { recommendations: [] };
  }
  async proxies() {
    return this.o.proxies ? this.o.proxies() : [];
  }
  cycleRunner() {
    return this.o.cycle;
  }

  // instances
  listInstances() {
    return this.read('reading instances', () => this.o.store.readInstances());
  }
  async getInstance(id: string) {
    return (await this.listInstances()).find((i) => i.id === id);
  }
  putInstance(i: Instance) {
    return guard('writing an instance', () => this.o.store.writeInstances([i], this.o.now()));
  }
  async deleteInstance(id: string) {
    if (!(await this.getInstance(id))) return false;
    await guard('removing an instance', () => this.o.store.removeInstance(id, this.o.now()));
    return true;
  }
  reportLoad(samples: InstanceLoad[]) {
    return guard('writing instance load', () => this.o.store.writeInstanceLoad(samples));
  }
  /** Per-minute means (the store's load windows), steps where the instance reported nothing left out. */
  async instanceLoad(id: string, range: TimeRange): Promise<InstanceLoad[]> {
    const w = await this.read('reading instance load', () =>
      this.o.store.readInstanceLoadWindows({ ...range, stepMs: 60_000, instances: [id] }),
    );
    const out: InstanceLoad[] = [];
    for (let t = 0; t < w.steps; t++) {
      const v = (k: number) => w.values[k * w.steps + t];
      if (Number.isNaN(v(0))) continue;
      const at = w.startMs + t * w.stepMs;
      if (at < range.fromMs) continue;
      const [cpu, mem, bw, inflight] = [0, 1, 2, 3].map((k) => v(k));
      out.push({
        instanceId: id,
        atMs: at,
        cpuMillicores: cpu,
        memoryMb: mem,
        bandwidthKbps: bw,
        inFlight: Math.round(inflight),
      });
    }
    return out;
  }

  async readiness(): Promise<DependencyCheck[]> {
    // Each check has a deadline: the kubelet gives up after the probe's timeoutSeconds and takes
    // the pod out of its Service, whatever InfluxDB does (envoy/istio/control-plane.yaml).
    const store: DependencyCheck = (await this.health.check())
      ? { name: 'store', ok: true }
      : { name: 'store', ok: false, detail: this.health.detail };
    let plan: DependencyCheck;
    try {
      const p = await within<Plan | undefined | null>(READINESS_PLAN_MS, this.currentPlan(), () => null);
      plan =
        p === null
          ? { name: 'plan', ok: false, detail: `no plan within ${READINESS_PLAN_MS} ms` }
          : p
            ? { name: 'plan', ok: true, detail: `version ${p.version}` }
            : { name: 'plan', ok: false, detail: 'no plan computed or stored yet' };
    } catch (err) {
      plan = { name: 'plan', ok: false, detail: (err as Error).message };
    }
    // With a plan in force, an unreachable InfluxDB degrades the service (no new plans, usage
    // spooled) but does not stop it serving.
    if (!store.ok && plan.ok) store.degradesOnly = true;
    const more = this.o.checks ? await this.o.checks() : [];
    return [store, plan, ...more];
  }
}
