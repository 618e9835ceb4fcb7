/**
 * Runs any candidate baseline for one series of the cycle's windows, by the fastest path it
 * offers: point forecasters (path + the series' shared spread), level forecasters (flat
 * quantiles), or plain SeriesForecasters. Per-series statistics are computed once per cycle.
 */
import type { DemandWindows } from '../domain/demand';
import type { SeriesForecaster, SeriesForecastRequest } from '../domain/forecaster';
import { isPointForecaster, PointForecaster } from './baselines/point';
import { MAD_TO_SD as MAD_TO_SD_IMPORT, SCALE_STEPS, z as zImport } from './baselines/spread';
import { isLevelForecaster, LevelForecaster } from './baselines/window-quantile';
// Hot loops call these through local bindings: tsx compiles imports to getter lookups per call.
const MAD_TO_SD = MAD_TO_SD_IMPORT;
const SCALE = SCALE_STEPS;
const z = zImport;

export class CandidateRunner {
  /** Per series: the noise scale (features.ts), random-walk spread per step, never negative. */
  readonly scale: Float64Array;
  readonly sigma: Float32Array;
  readonly nonNeg: Uint8Array;
  private readonly point: (PointForecaster | undefined)[];
  private readonly level: (LevelForecaster | undefined)[];
  private path = new Float64Array(16);
  /** √(h + 1) for h < 64, and z-scores of the last two level sets and last level (Map lookups add up). */
  private static readonly SQRT = Float64Array.from({ length: 64 }, (_, h) => Math.sqrt(h + 1));
  private zLevels: (readonly number[] | undefined)[] = [undefined, undefined];
  private zValues: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
  private zTau = NaN;
  private zTauValue = 0;

  private zsOf(levels: readonly number[]): Float64Array {
    if (levels === this.zLevels[0]) return this.zValues[0];
    if (levels === this.zLevels[1]) return this.zValues[1];
    this.zLevels = [levels, this.zLevels[0]];
    this.zValues = [Float64Array.from(levels, (q) => z(q)), this.zValues[0]];
    return this.zValues[0];
  }

  private zOfTau(tau: number): number {
    if (tau !== this.zTau) {
      this.zTau = tau;
      this.zTauValue = z(tau);
    }
    return this.zTauValue;
  }
  private lv = new Float64Array(8);
  private readonly req: SeriesForecastRequest;

  /**
   * Level forecasters' values at `cacheLevels` per series, kept by atLead for issue.ts (cache[i * Q
   * + q], from model cachedModel[i]; -1 = none): their levels are a selection over the window, the
   * costliest part of issuing a user who reserves from one.
   */
  private readonly cacheLevels: readonly number[] | undefined;
  private readonly cache: Float32Array;
  private readonly cachedModel: Int16Array;
  private readonly cacheMedian: number;

  constructor(
    readonly baselines: readonly SeriesForecaster[],
    readonly w: DemandWindows,
    originMs: number,
    /** The engine's output levels and reusable buffers for the level cache (none: no cache). */
    levelCache?: { levels: readonly number[]; cache: Float32Array; model: Int16Array },
  ) {
    const S = w.users.length * w.resources.length;
    this.scale = new Float64Array(S);
    this.sigma = new Float32Array(S);
    this.nonNeg = new Uint8Array(S);
    const v = w.values;
    for (let i = 0; i < S; i++) {
      // One pass over the last SCALE_STEPS values: noise scale and sign (as noiseScale and
      // recentlyNonNegative compute them, fused: this runs for every series every cycle).
      const end = (i + 1) * w.steps;
      const from = Math.max(i * w.steps, end - SCALE);
      let diff = 0;
      let abs = 0;
      let neg = 0;
      for (let t = from; t < end; t++) {
        const x = v[t];
        abs += x < 0 ? -x : x;
        if (x < 0) neg = 1;
        if (t > from) diff += Math.abs(x - v[t - 1]);
      }
      const n = end - from;
      // Exactly noiseScale's arithmetic: the model's features reuse this value (fillRow's scale48).
      const sc = Math.max(n > 1 ? diff / (n - 1) : 0, 0.01 * (n > 0 ? abs / n : 0), 1e-6);
      this.scale[i] = sc;
      this.sigma[i] = sc * MAD_TO_SD;
      this.nonNeg[i] = neg ? 0 : 1;
    }
    this.point = baselines.map((b) => (isPointForecaster(b) ? b : undefined));
    this.level = baselines.map((b) => (isLevelForecaster(b) ? b : undefined));
    this.req = { history: w.values, originMs, stepMs: w.stepMs, horizon: 1, quantiles: [] };
    const Q = levelCache?.levels.length ?? 0;
    const cacheUsed = levelCache && this.level.some((l) => l) && levelCache.cache.length >= S * Q;
    this.cacheLevels = cacheUsed ? levelCache.levels : undefined;
    this.cache = cacheUsed ? levelCache.cache : new Float32Array(0);
    this.cachedModel = cacheUsed ? levelCache.model.subarray(0, S).fill(-1) : new Int16Array(0);
    this.cacheMedian = this.cacheLevels ? this.cacheLevels.indexOf(0.5) : -1;
  }

  /** Whether baseline m's median is the same at every step (flat point and level forecasters). */
  medianIsFlat(m: number): boolean {
    return this.point[m]?.flat === true || this.level[m] !== undefined;
  }

  /** Whether baseline m's path is flat (its median at any lead is its median at every step). */
  isFlat(m: number): boolean {
    return this.point[m]?.flat === true;
  }

  /** raw[q * n + h] of a flat point baseline whose median for series i is `median`. */
  fullFlat(i: number, median: number, n: number, levels: readonly number[], raw: Float32Array): void {
    this.path.fill(median, 0, Math.min(n, this.path.length));
    if (this.path.length < n) this.path = new Float64Array(n).fill(median);
    this.spread(i, n, levels, raw);
  }

  /** raw[q * n + h] = path[h] + z_q·σ_i·√(h + 1), clamped at 0 for series never negative. */
  private spread(i: number, n: number, levels: readonly number[], raw: Float32Array): void {
    const sg = this.sigma[i];
    const nn = this.nonNeg[i] === 1;
    const zs = this.zsOf(levels);
    const sq = CandidateRunner.SQRT;
    for (let q = 0; q < levels.length; q++) {
      const zq = zs[q] * sg;
      for (let h = 0; h < n; h++) {
        const v = this.path[h] + zq * (h < 64 ? sq[h] : Math.sqrt(h + 1));
        raw[q * n + h] = nn && v < 0 ? 0 : v;
      }
    }
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
      this.spread(i, n, levels, raw);
      return;
    }
    const l = this.level[m];
    if (l) {
      if (levels === this.cacheLevels && this.cachedModel[i] === m) {
        const Q = levels.length;
        for (let q = 0; q < Q; q++) raw.fill(this.cache[i * Q + q], q * n, (q + 1) * n);
        return;
      }
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
  private zTauLevel = NaN;
  private zTauIndex = -1;
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
      const v = mid + this.zOfTau(tau) * this.sigma[i] * Math.sqrt(L);
      const nn = this.nonNeg[i] === 1;
      med[j] = nn && mid < 0 ? 0 : mid;
      q[j] = nn && v < 0 ? 0 : v;
      return;
    }
    const l = this.level[m];
    const levels = this.cacheLevels;
    if (l && levels && this.cacheMedian >= 0) {
      // All output levels at once (the user's level is one of them): issue.ts reuses them.
      const Q = levels.length;
      const qt = tau === this.zTauLevel ? this.zTauIndex : levels.indexOf(tau);
      this.zTauLevel = tau;
      this.zTauIndex = qt;
      if (qt >= 0) {
        if (this.lv.length < Q) this.lv = new Float64Array(Q);
        const w = this.w;
        l.levelsAt(w.values, i * w.steps, (i + 1) * w.steps, w.stepMs, levels, this.lv);
        for (let k = 0; k < Q; k++) this.cache[i * Q + k] = this.lv[k];
        this.cachedModel[i] = m;
        med[j] = this.cache[i * Q + this.cacheMedian];
        q[j] = this.cache[i * Q + qt];
        return;
      }
    }
    this.two[1] = tau;
    if (this.out2.length < 2 * L) this.out2 = new Float32Array(2 * L);
    this.full(m, i, L, this.two, this.out2);
    med[j] = this.out2[L - 1];
    q[j] = this.out2[2 * L - 1];
  }
}
