/**
 * Runs any candidate baseline for one series of the cycle's windows, by the fastest path it
 * offers: point forecasters (path + the series' shared spread), level forecasters (flat
 * quantiles), or plain SeriesForecasters. Per-series statistics are computed once per cycle.
 */
import type { DemandWindows } from '../domain/demand';
import type { SeriesForecaster, SeriesForecastRequest } from '../domain/forecaster';
import { isPointForecaster, PointForecaster } from './baselines/point';
import {
  recentlyNonNegative as recentlyNonNegativeImport,
  spreadSigma as spreadSigmaImport,
  z as zImport,
} from './baselines/spread';
import { isLevelForecaster, LevelForecaster } from './baselines/window-quantile';
// Hot loops call these through local bindings: tsx compiles imports to getter lookups per call.
const recentlyNonNegative = recentlyNonNegativeImport;
const spreadSigma = spreadSigmaImport;
const z = zImport;

export class CandidateRunner {
  /** Per series: random-walk spread per step, and whether demand was never negative. */
  readonly sigma: Float32Array;
  readonly nonNeg: Uint8Array;
  private readonly point: (PointForecaster | undefined)[];
  private readonly level: (LevelForecaster | undefined)[];
  private path = new Float64Array(16);
  private lv = new Float64Array(8);
  private readonly req: SeriesForecastRequest;

  constructor(
    readonly baselines: readonly SeriesForecaster[],
    readonly w: DemandWindows,
    originMs: number,
  ) {
    const S = w.users.length * w.resources.length;
    this.sigma = new Float32Array(S);
    this.nonNeg = new Uint8Array(S);
    for (let i = 0; i < S; i++) {
      const a = i * w.steps;
      this.sigma[i] = spreadSigma(w.values, a, a + w.steps);
      this.nonNeg[i] = recentlyNonNegative(w.values, a, a + w.steps) ? 1 : 0;
    }
    this.point = baselines.map((b) => (isPointForecaster(b) ? b : undefined));
    this.level = baselines.map((b) => (isLevelForecaster(b) ? b : undefined));
    this.req = { history: w.values, originMs, stepMs: w.stepMs, horizon: 1, quantiles: [] };
  }

  /** raw[q * n + h] for levels q and steps h < n, of baseline m for series i. */
  full(m: number, i: number, n: number, levels: readonly number[], raw: Float32Array): void {
    const w = this.w;
    const from = i * w.steps;
    const to = from + w.steps;
    const p = this.point[m];
    if (p) {
      if (this.path.length < n) this.path = new Float64Array(n);
      p.point(w.values, from, to, w.stepMs, n, this.path);
      const sg = this.sigma[i];
      const nn = this.nonNeg[i] === 1;
      for (let q = 0; q < levels.length; q++) {
        const zq = z(levels[q]) * sg;
        for (let h = 0; h < n; h++) {
          const v = this.path[h] + zq * Math.sqrt(h + 1);
          raw[q * n + h] = nn && v < 0 ? 0 : v;
        }
      }
      return;
    }
    const l = this.level[m];
    if (l) {
      if (this.lv.length < levels.length) this.lv = new Float64Array(levels.length);
      l.levelsAt(w.values, from, to, w.stepMs, levels, this.lv);
      for (let q = 0; q < levels.length; q++) raw.fill(this.lv[q], q * n, (q + 1) * n);
      return;
    }
    this.req.history = w.values.subarray(from, to);
    this.req.horizon = n;
    this.req.quantiles = levels;
    this.baselines[m].forecast(this.req, raw);
  }

  private two = [0.5, 0.95];
  private out2 = new Float32Array(64);

  /** Median and level-tau value of baseline m at lead L for series i, into med[j] and q[j]. */
  atLead(m: number, i: number, L: number, tau: number, med: Float32Array, q: Float32Array, j: number): void {
    const p = this.point[m];
    if (p) {
      const w = this.w;
      const from = i * w.steps;
      if (this.path.length < L) this.path = new Float64Array(L);
      p.point(w.values, from, from + w.steps, w.stepMs, L, this.path);
      const mid = this.path[L - 1];
      const v = mid + z(tau) * this.sigma[i] * Math.sqrt(L);
      const nn = this.nonNeg[i] === 1;
      med[j] = nn && mid < 0 ? 0 : mid;
      q[j] = nn && v < 0 ? 0 : v;
      return;
    }
    this.two[1] = tau;
    if (this.out2.length < 2 * L) this.out2 = new Float32Array(2 * L);
    this.full(m, i, L, this.two, this.out2);
    med[j] = this.out2[L - 1];
    q[j] = this.out2[2 * L - 1];
  }
}
