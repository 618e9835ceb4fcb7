/**
 * The intermittent method as one batch per cycle (intermittent/batch.ts): every series of the
 * users that need it, at the full horizon and the engine's levels, once. The chooser reads the
 * scoring lead from it, and issue.ts reads the whole forecast for users who use the method.
 */
import type { DemandWindows } from '../domain/demand';
import type { FleetIntermittent } from './baselines/intermittent';
import { interpolateLevel } from './candidates';

export class IntermittentOutput {
  constructor(
    /** Per series: its row in `out`, or -1 when the method did not run for it. */
    readonly rowOf: Int32Array,
    /** out[(row * Q + q) * horizon + h], at `levels`. */
    readonly out: Float32Array,
    readonly horizon: number,
    readonly levels: readonly number[],
    private readonly resources: number,
    /** P(active) per row, prob[row * horizon + h] (for ForecastBatch.activity). */
    readonly prob: Float32Array,
  ) {}

  /** Median and level-tau value at `lead` (1-based) into column m of every series that ran. */
  atLead(m: number, M: number, lead: number, taus: Float32Array, med: Float32Array, q: Float32Array): void {
    const { horizon: H, levels } = this;
    const Q = levels.length;
    const qMed = levels.indexOf(0.5);
    for (let i = 0; i < this.rowOf.length; i++) {
      const row = this.rowOf[i];
      if (row < 0) continue;
      const base = row * Q * H + lead - 1;
      const tau = taus[(i / this.resources) | 0];
      const qt = levels.indexOf(tau);
      med[i * M + m] = this.out[base + qMed * H];
      q[i * M + m] = qt >= 0 ? this.out[base + qt * H] : interpolateLevel(levels, this.out, base, H, tau);
    }
  }

  /** Series i's forecast as raw[q * H + h] at `levels` (the batch's levels, or only the median). */
  read(i: number, levels: readonly number[], raw: Float32Array): boolean {
    const row = this.rowOf[i];
    if (row < 0) return false;
    const { horizon: H } = this;
    const Q = this.levels.length;
    if (levels === this.levels) raw.set(this.out.subarray(row * Q * H, (row + 1) * Q * H));
    else if (levels.length === 1 && levels[0] === 0.5) {
      const from = (row * Q + this.levels.indexOf(0.5)) * H;
      raw.set(this.out.subarray(from, from + H));
    } else return false;
    return true;
  }
}

/** Runs the method for every series of the users flagged in `users`; `reuse` is last cycle's buffer. */
export function runIntermittent(
  f: FleetIntermittent,
  w: DemandWindows,
  users: Uint8Array,
  horizon: number,
  levels: readonly number[],
  reuse: Float32Array,
): IntermittentOutput {
  const R = w.resources.length;
  const S = w.users.length * R;
  const rowOf = new Int32Array(S).fill(-1);
  const series = new Int32Array(S);
  let n = 0;
  for (let u = 0; u < w.users.length; u++)
    if (users[u])
      for (let r = 0; r < R; r++) {
        rowOf[u * R + r] = n;
        series[n++] = u * R + r;
      }
  const width = levels.length * horizon;
  const out = reuse.length >= n * width ? reuse : new Float32Array(Math.ceil(n * 1.25) * width);
  const prob = new Float32Array(n * horizon);
  f.batch.run(w.values, w.steps, series, n, f.prior, horizon, levels, out, prob);
  return new IntermittentOutput(rowOf, out, horizon, levels, R, prob);
}

/**
 * P(requests active at step h) of every sparse user, by the intermittent method, into
 * activity[at(u) * horizon + h]; NaN for the other users (ForecastBatch.activity). Users the
 * method already ran for this cycle (`done`) are copied, not recomputed.
 */
export function activityOf(
  f: FleetIntermittent,
  w: DemandWindows,
  sparse: Uint8Array,
  horizon: number,
  activity: Float32Array,
  at: (u: number) => number,
  done?: IntermittentOutput,
): void {
  const R = w.resources.length;
  const r0 = w.resources.indexOf('requests');
  const series = new Int32Array(w.users.length);
  let n = 0;
  for (let u = 0; u < w.users.length; u++) {
    activity.fill(NaN, at(u) * horizon, (at(u) + 1) * horizon);
    if (r0 < 0 || !sparse[u]) continue;
    const row = done && done.horizon === horizon ? done.rowOf[u * R + r0] : -1;
    if (row >= 0) activity.set(done!.prob.subarray(row * horizon, (row + 1) * horizon), at(u) * horizon);
    else series[n++] = u * R + r0;
  }
  const p = new Float32Array(n * horizon);
  f.batch.activity(w.values, w.steps, series, n, f.prior, horizon, p);
  for (let k = 0; k < n; k++) {
    const u = ((series[k] - r0) / R) | 0;
    activity.set(p.subarray(k * horizon, (k + 1) * horizon), at(u) * horizon);
  }
}
