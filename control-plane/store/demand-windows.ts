/**
 * Dense per-user, per-step demand history for forecasting: all five resources, zeros where a user
 * had no traffic. InfluxDB aggregates per (step, user, node) with fill(none), so only non-empty
 * cells travel; the dense Float32Array is assembled here (fill(0) would ship users × steps rows).
 *
 * Per step, summed over the proxies (nodes) that saw the user:
 *   requests     sum(requests)
 *   concurrency  max(peak_in_flight) per node (sum over nodes: exact with one proxy, an upper bound otherwise)
 *   cpu          mean(cpu_millicores) if measured, else derived from the resource profile
 *   memory       max(memory_mb) if measured, else concurrency × profile memory
 *   bandwidth    (bytes_in + bytes_out) × 8 / stepMs kbps if bytes were measured, else mean(bandwidth_kbps),
 *                else derived from the profile
 */
import { RESOURCES, type DemandWindows } from '../domain/demand';
import type { StoreContext } from './context';
import { anyOf, ident, ms, qualified, where } from './influx/influxql';
import {
  DEFAULT_RESOURCE_PROFILE,
  deriveBandwidthKbps,
  deriveConcurrency,
  deriveCpuMillicores,
  deriveMemoryMb,
  readResourceProfiles,
  type ProfileCost,
} from './resource-profiles';
import { M, RP } from './schema';

export interface DemandQuery {
  /** Inclusive; rounded down to a step boundary. */
  fromMs: number;
  /** Exclusive; rounded up to a step boundary. */
  toMs: number;
  /** Default 60,000 (one minute). Must divide an hour evenly or be a whole number of hours. */
  stepMs?: number;
  /** These users in this order (all zeros if idle). Default: every user with usage in range, sorted. */
  users?: readonly string[];
  /** 'raw' (default) or 'archive' (long imported traces). */
  retention?: 'raw' | 'archive';
  /** Per-user costs for derived resources; default: the stored resource profiles. */
  profiles?: ReadonlyMap<string, ProfileCost>;
  /** Steps per InfluxDB query (bounds each response's size). Default 30. */
  chunkSteps?: number;
}

const R = RESOURCES.length;
const [REQ, CONC, CPU, MEM, BW] = [0, 1, 2, 3, 4];
/** A user filter in the query itself only pays off for a few users; beyond, filter while assembling. */
const MAX_USERS_IN_QUERY = 200;

class DenseBuilder {
  users: string[] = [];
  index = new Map<string, number>();
  values: Float32Array;

  constructor(
    readonly steps: number,
    fixedUsers: readonly string[] | undefined,
  ) {
    if (fixedUsers) fixedUsers.forEach((u) => this.index.has(u) || this.index.set(u, this.users.push(u) - 1));
    this.values = new Float32Array(Math.max(1, this.users.length) * R * steps);
  }

  /** Row offset of `user`, growing the (user-major) array when a new user appears. */
  add(user: string): number {
    const u = this.users.push(user) - 1;
    this.index.set(user, u);
    const need = (u + 1) * R * this.steps;
    if (need > this.values.length) {
      const grown = new Float32Array(Math.max(need, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    return u;
  }

  /** Sorted users and a matching permuted copy (only when users were discovered, not given). */
  sorted(): { users: string[]; values: Float32Array } {
    const order = this.users.map((_, i) => i).sort((a, b) => (this.users[a] < this.users[b] ? -1 : 1));
    const block = R * this.steps;
    const out = new Float32Array(this.users.length * block);
    order.forEach((from, to) => out.set(this.values.subarray(from * block, (from + 1) * block), to * block));
    return { users: order.map((i) => this.users[i]), values: out };
  }
}

export async function readDemandWindows(ctx: StoreContext, q: DemandQuery): Promise<DemandWindows> {
  const stepMs = q.stepMs ?? 60_000;
  if (!(stepMs >= 1000) || (3_600_000 % stepMs !== 0 && stepMs % 3_600_000 !== 0)) {
    throw new Error(`stepMs must divide an hour or be whole hours, got ${stepMs}`);
  }
  const startMs = Math.floor(q.fromMs / stepMs) * stepMs;
  const endMs = Math.ceil(q.toMs / stepMs) * stepMs;
  const steps = Math.max(0, (endMs - startMs) / stepMs);
  const rp = q.retention ?? RP.raw.name;
  const b = new DenseBuilder(steps, q.users);
  const fixed = q.users !== undefined;
  const profiles = q.profiles ?? (await readResourceProfiles(ctx, q.users));
  const filter = fixed && q.users!.length <= MAX_USERS_IN_QUERY ? anyOf('user', q.users!) : '';
  if (fixed && q.users!.length === 0)
    return { users: [], resources: RESOURCES, startMs, stepMs, steps, values: new Float32Array(0) };

  const chunk = Math.max(1, q.chunkSteps ?? 30);
  for (let s0 = 0; s0 < steps; s0 += chunk) {
    const a = startMs + s0 * stepMs;
    const z = Math.min(endMs, a + chunk * stepMs);
    const query =
      'SELECT sum(requests), max(peak_in_flight), sum(bytes_in), sum(bytes_out), mean(cpu_millicores), ' +
      `max(memory_mb), mean(bandwidth_kbps) FROM ${qualified(ctx.db, rp, M.usage)}` +
      where(`time >= ${ms(a)}`, `time < ${ms(z)}`, filter) +
      ` GROUP BY time(${stepMs}ms), ${ident('user')}, ${ident('node')} fill(none)`;
    const [res] = await ctx.http.query(query, ctx.db);
    for (const series of res.series) {
      const user = series.tags?.user ?? '';
      let u = b.index.get(user);
      if (u === undefined) {
        if (fixed) continue;
        u = b.add(user);
      }
      const p = profiles.get(user) ?? DEFAULT_RESOURCE_PROFILE;
      const v = b.values;
      for (const row of series.values) {
        const t = ((row[0] as number) - startMs) / stepMs;
        const [r, peak, bi, bo, cpu, mem, bw] = row.slice(1) as (number | null)[];
        const req = r ?? 0;
        const conc = peak ?? deriveConcurrency(req, p, stepMs);
        const base = u * R * steps + t;
        v[base + REQ * steps] += req;
        v[base + CONC * steps] += conc;
        v[base + CPU * steps] += cpu ?? deriveCpuMillicores(req, p, stepMs);
        v[base + MEM * steps] += mem ?? deriveMemoryMb(conc, p);
        v[base + BW * steps] +=
          bi !== null || bo !== null
            ? (((bi ?? 0) + (bo ?? 0)) * 8) / stepMs
            : (bw ?? deriveBandwidthKbps(req, p, stepMs));
      }
    }
  }
  if (fixed) return { users: b.users, resources: RESOURCES, startMs, stepMs, steps, values: b.values };
  const { users, values } = b.sorted();
  return { users, resources: RESOURCES, startMs, stepMs, steps, values };
}
