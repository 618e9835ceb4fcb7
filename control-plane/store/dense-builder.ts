/**
 * Assembles dense per-user, per-step demand from sparse usage rows. Rows arrive in time order;
 * per step, each (user, proxy) pair is aggregated first (sums, that proxy's peak, means), then the
 * proxies are added up into the user's cells, with what was not measured derived from the profile.
 */
import { RESOURCES } from '../domain/demand';
import {
  DEFAULT_RESOURCE_PROFILE,
  deriveBandwidthKbps,
  deriveConcurrency,
  deriveCpuMillicores,
  deriveMemoryMb,
  type ProfileCost,
} from './resource-profiles';

/** Resource count and positions in DemandWindows (RESOURCES order), shared with live-demand.ts. */
export const R = RESOURCES.length;
export const [REQ, CONC, CPU, MEM, BW] = [0, 1, 2, 3, 4];

/** One proxy's view of one user within one step. null = not measured in any row. */
interface NodeStep {
  u: number;
  requests: number;
  peak: number | null;
  /** Requests refused a slot (redirected or throttled): demand the peak did not see. */
  over: number;
  bytes: number | null;
  cpuSum: number;
  cpuN: number;
  mem: number | null;
  bwSum: number;
  bwN: number;
}

/** Column positions of a usage row: time, the nine fields, user, node. */
export const USAGE_COLUMNS = [
  'requests',
  'peak_in_flight',
  'bytes_in',
  'bytes_out',
  'cpu_millicores',
  'memory_mb',
  'bandwidth_kbps',
  'redirected',
  'throttled',
] as const;
const [USER_COL, NODE_COL] = [USAGE_COLUMNS.length, USAGE_COLUMNS.length + 1];

/**
 * One proxy's concurrency for a user in a step, from its summed requests, largest peak (null: not
 * measured) and refused requests. live-demand.ts uses the same rule, so both readers give the same
 * windows. The filter counts in flight only the requests it admitted on a reservation:
 *  - a peak of 0 with requests is not a measurement (unreserved requests report 0), so it is derived
 *    as for imports (Little's law over the step, at least 1);
 *  - a measured peak stops at the reservation's slots, and the requests redirected or throttled for
 *    want of a slot ran (or wanted to run) beside them: their own derived concurrency is added.
 *    Without it the history, and so the forecast and the next reservation, could never grow past
 *    what is reserved now.
 */
export function proxyConcurrency(
  peak: number | null,
  requests: number,
  over: number,
  p: ProfileCost,
  stepMs: number,
): number {
  const measured = peak !== null && (peak > 0 || requests === 0);
  if (!measured) return deriveConcurrency(requests, p, stepMs);
  return peak + deriveConcurrency(over, p, stepMs); // 0 when nothing was refused
}

export class DenseBuilder {
  users: string[] = [];
  index = new Map<string, number>();
  values: Float32Array;
  private step = -1;
  private open = new Map<string, NodeStep>();

  constructor(
    readonly steps: number,
    readonly stepMs: number,
    private readonly fixed: readonly string[] | undefined,
    private readonly profiles: ReadonlyMap<string, ProfileCost>,
  ) {
    if (fixed) fixed.forEach((u) => this.index.has(u) || this.index.set(u, this.users.push(u) - 1));
    this.values = new Float32Array(Math.max(1, this.users.length) * R * steps);
  }

  /** Where USAGE_COLUMNS, then "user" and "node", sit in a result's columns (-1: absent). */
  static columnIndex(columns: readonly string[]): number[] {
    return [...USAGE_COLUMNS, 'user', 'node'].map((c) => columns.indexOf(c));
  }

  /** One usage row; `col` from columnIndex(), `step` the row's index in the window. */
  row(step: number, r: readonly unknown[], col: readonly number[]): void {
    if (step !== this.step) this.flush(step);
    const user = r[col[USER_COL]] as string;
    const key = user + '\u0000' + (r[col[NODE_COL]] as string);
    let a = this.open.get(key);
    if (!a) {
      let u = this.index.get(user);
      if (u === undefined) {
        if (this.fixed) return;
        u = this.add(user);
      }
      a = {
        u,
        requests: 0,
        peak: null,
        over: 0,
        bytes: null,
        cpuSum: 0,
        cpuN: 0,
        mem: null,
        bwSum: 0,
        bwN: 0,
      };
      this.open.set(key, a);
    }
    const f = (k: number): number | null => (col[k] < 0 ? null : (r[col[k]] as number | null));
    const [req, peak, bi, bo, cpu, mem, bw] = [f(0), f(1), f(2), f(3), f(4), f(5), f(6)];
    if (req !== null) a.requests += req;
    a.over += (f(7) ?? 0) + (f(8) ?? 0);
    if (peak !== null) a.peak = Math.max(a.peak ?? 0, peak);
    if (bi !== null || bo !== null) a.bytes = (a.bytes ?? 0) + (bi ?? 0) + (bo ?? 0);
    if (cpu !== null) {
      a.cpuSum += cpu;
      a.cpuN++;
    }
    if (mem !== null) a.mem = Math.max(a.mem ?? 0, mem);
    if (bw !== null) {
      a.bwSum += bw;
      a.bwN++;
    }
  }

  /** Adds the open step's per-proxy aggregates into the users' cells; `next` becomes the open step. */
  flush(next = -1): void {
    const { steps, stepMs, values: v } = this;
    for (const a of this.open.values()) {
      const p = this.profiles.get(this.users[a.u]) ?? DEFAULT_RESOURCE_PROFILE;
      const conc = proxyConcurrency(a.peak, a.requests, a.over, p, stepMs);
      const base = a.u * R * steps + this.step;
      v[base + REQ * steps] += a.requests;
      v[base + CONC * steps] += conc;
      v[base + CPU * steps] += a.cpuN ? a.cpuSum / a.cpuN : deriveCpuMillicores(a.requests, p, stepMs);
      v[base + MEM * steps] += a.mem ?? deriveMemoryMb(conc, p);
      v[base + BW * steps] +=
        a.bytes !== null
          ? (a.bytes * 8) / stepMs
          : a.bwN
            ? a.bwSum / a.bwN
            : deriveBandwidthKbps(a.requests, p, stepMs);
    }
    this.open.clear();
    this.step = next;
  }

  /** Row offset of a newly seen user, growing the (user-major) array. */
  private add(user: string): number {
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

  /** The users (sorted when they were discovered, as given otherwise) and exactly-sized values. */
  result(): { users: string[]; values: Float32Array } {
    this.flush();
    const block = R * this.steps;
    if (this.fixed) return { users: this.users, values: this.values.subarray(0, this.users.length * block) };
    const order = this.users.map((_, i) => i).sort((a, b) => (this.users[a] < this.users[b] ? -1 : 1));
    const out = new Float32Array(this.users.length * block);
    order.forEach((from, to) => out.set(this.values.subarray(from * block, (from + 1) * block), to * block));
    return { users: order.map((i) => this.users[i]), values: out };
  }
}
