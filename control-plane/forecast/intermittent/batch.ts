/**
 * The intermittent method over a columnar batch: exactly createIntermittentForecaster's numbers
 * (tested equal) for many series of one flat array, with no object per series. A series of T
 * steps only has gaps shorter than T, so only the histogram bins it touched are read and cleared,
 * bin sums come from prefix sums instead of scans of the 240-bin range, and the prior's hazards
 * are read from a table filled once per batch.
 */
import { activityFromHazards as activityFromHazardsImport } from './activity';
import { DEFAULT_GAP_RANGE } from './gap-histogram';
import { DEFAULT_HAZARD_OPTIONS, HazardOptions, HazardPrior } from './hazard';
import { DEFAULT_SIZE_MEMORY } from './intermittent-series';
// Called per series: tsx compiles imports to getter lookups per call.
const activityFromHazards = activityFromHazardsImport;

export class IntermittentBatch {
  /** eq[g]: completed gaps of g steps in the current series (g <= range), eq[range + 1]: longer. */
  private readonly eq: Float64Array;
  /** Prefix sums of eq over 1..g, and counts of gaps >= g, for g up to the series' longest gap. */
  private readonly pre: Float64Array;
  private readonly ge: Float64Array;
  private readonly priorTable: Float64Array;
  private readonly sizes: Float64Array;
  private prob = new Float64Array(16);
  private ofAge = new Float64Array(16);
  private fresh = new Float64Array(16);
  private scratch = new Float64Array(48);

  constructor(
    readonly options: HazardOptions = DEFAULT_HAZARD_OPTIONS,
    readonly range = DEFAULT_GAP_RANGE,
    readonly sizeMemory = DEFAULT_SIZE_MEMORY,
  ) {
    this.eq = new Float64Array(range + 2);
    this.pre = new Float64Array(range + 2);
    this.ge = new Float64Array(range + 3);
    this.priorTable = new Float64Array(range + 1);
    this.sizes = new Float64Array(sizeMemory);
    // Each gap's smoothing neighbourhood [lo, hi] (0 = not smoothed), as seriesHazard computes it.
    this.lo = new Int32Array(range + 1);
    this.hi = new Int32Array(range + 1);
    const { smoothing, smoothFrom, smoothWidth } = options;
    for (let g = 1; g <= range; g++)
      if (smoothing > 0 && g >= smoothFrom && g < range) {
        const w = Math.max(1, Math.floor(g * smoothWidth));
        this.lo[g] = Math.max(1, g - w);
        this.hi[g] = Math.min(range, g + w);
      }
  }

  private readonly lo: Int32Array;
  private readonly hi: Int32Array;

  /**
   * Quantiles of the n series values[series[k] * steps, (series[k] + 1) * steps), k < n, into
   * out[(k * Q + q) * horizon + h]; `prior` as createIntermittentForecaster's (undefined: each
   * series' own activity rate). With `prob`, also P(active) as activity() gives it, at prob[k * horizon + h].
   */
  run(
    values: ArrayLike<number>,
    steps: number,
    series: Int32Array,
    n: number,
    prior: HazardPrior | undefined,
    horizon: number,
    levels: readonly number[],
    out: Float32Array,
    prob?: Float32Array,
  ): void {
    const tail = this.tablePrior(prior);
    const width = levels.length * horizon;
    for (let k = 0; k < n; k++) {
      const from = series[k] * steps;
      const active = this.one(
        values,
        from,
        from + steps,
        prior !== undefined,
        tail,
        horizon,
        levels,
        out,
        k * width,
      );
      if (prob) for (let h = 0; h < horizon; h++) prob[k * horizon + h] = active ? this.prob[h] : 0;
    }
  }

  /** Fills the prior's hazard table for a batch; returns its tail rate (NaN: no prior). */
  private tablePrior(prior: HazardPrior | undefined): number {
    if (!prior) return NaN;
    for (let g = 1; g <= this.range; g++) this.priorTable[g] = prior.hazard(g);
    return prior.tailRate();
  }

  // The current series, for hazard() (fields, not a closure: one closure per series costs more than the rest).
  private top = 0;
  private tailCount = 0;
  private tailEvents = 0;
  private tailExposure = 0;
  private hasPrior = false;
  private rate = 0;
  private tailRate = 0;

  /** seriesHazard (hazard.ts) on the current series' bins, with the same arithmetic. */
  private hazard(g: number): number {
    const range = this.range;
    const a = this.options.priorStrength;
    const smoothing = this.options.smoothing;
    const top = this.top;
    let x: number;
    if (g > range) x = (this.tailEvents + a * this.tailRate) / (this.tailExposure + a);
    else {
      let e = g > top ? 0 : this.eq[g];
      const lo = this.lo[g];
      if (lo > 0) {
        const hi = this.hi[g];
        const sum = this.pre[hi < top ? hi : top] - this.pre[lo - 1 < top ? lo - 1 : top];
        e = (1 - smoothing) * e + (smoothing * (sum - e)) / (hi - lo);
      }
      const atLeast = g > top ? this.tailCount : this.ge[g < 1 ? 1 : g];
      x = (e + a * (this.hasPrior ? this.priorTable[g] : this.rate)) / (atLeast + a);
    }
    return x < 0 ? 0 : x > 1 ? 1 : x;
  }

  /**
   * P(active at step h) of the n series as in run(), into out[k * horizon + h] (0 for a series never
   * active, as IntermittentSeries.activity).
   */
  activity(
    values: ArrayLike<number>,
    steps: number,
    series: Int32Array,
    n: number,
    prior: HazardPrior | undefined,
    horizon: number,
    out: Float32Array,
  ): void {
    const tail = this.tablePrior(prior);
    for (let k = 0; k < n; k++) {
      const from = series[k] * steps;
      const active = this.prepare(values, from, from + steps, prior !== undefined, tail, horizon);
      for (let h = 0; h < horizon; h++) out[k * horizon + h] = active ? this.prob[h] : 0;
    }
  }

  /** One series values[from, to) into out[o + q * horizon + h]; the prior table is filled (or not used). */
  private one(
    values: ArrayLike<number>,
    from: number,
    to: number,
    hasPrior: boolean,
    priorTail: number,
    horizon: number,
    levels: readonly number[],
    out: Float32Array,
    o: number,
  ): boolean {
    const n = this.prepare(values, from, to, hasPrior, priorTail, horizon);
    const Q = levels.length;
    if (n === 0) {
      out.fill(0, o, o + Q * horizon);
      return false;
    }
    // As IntermittentSeries.quantiles: 0 where P(active) <= 1 - q, else a quantile of the sizes.
    const prob = this.prob;
    const sorted = this.sizes;
    for (let qi = 0; qi < Q; qi++) {
      const q = levels[qi];
      for (let h = 0; h < horizon; h++) {
        const p = prob[h];
        let v = 0;
        if (p > 0 && p > 1 - q) {
          const tau = Math.min(1, (q - (1 - p)) / p);
          v = sorted[Math.min(n - 1, Math.max(0, Math.ceil(tau * n) - 1))];
        }
        out[o + qi * horizon + h] = v;
      }
    }
    return true;
  }

  /**
   * Reads one series: P(active) ahead into this.prob and its newest active sizes, sorted, into
   * this.sizes; returns how many sizes (0: never active, nothing computed).
   */
  private prepare(
    values: ArrayLike<number>,
    from: number,
    to: number,
    hasPrior: boolean,
    priorTail: number,
    horizon: number,
  ): number {
    const range = this.range;
    const eq = this.eq;
    let last = -1;
    let first = -1;
    let active = 0;
    let top = 0;
    let tailEvents = 0;
    let tailExposure = 0;
    for (let t = from; t < to; t++) {
      const v = values[t];
      // Active as in series-gaps.ts (v > 0), non-finite values idle as in IntermittentSeries.observe.
      if (!(v > 0) || v === Infinity) continue;
      const tt = t - from;
      if (last >= 0) {
        const gap = tt - last;
        if (gap > range) {
          eq[range + 1]++;
          tailExposure += gap - range;
          tailEvents++;
        } else {
          eq[gap]++;
          if (gap > top) top = gap;
        }
      } else first = tt;
      last = tt;
      active++;
    }
    if (last < 0) return 0;
    const steps = to - from;
    // The newest min(active, sizeMemory) active sizes, sorted ascending (insertion: a few values).
    const n = Math.min(active, this.sizeMemory);
    const sorted = this.sizes;
    for (let t = to - 1, c = 0; c < n; t--) {
      const v = values[t];
      if (!(v > 0) || v === Infinity) continue;
      let j = c++;
      while (j > 0 && sorted[j - 1] > v) {
        sorted[j] = sorted[j - 1];
        j--;
      }
      sorted[j] = v;
    }

    const tailCount = eq[range + 1];
    const pre = this.pre;
    const ge = this.ge;
    pre[0] = 0;
    for (let g = 1; g <= top; g++) pre[g] = pre[g - 1] + eq[g];
    ge[top + 1] = tailCount;
    for (let g = top; g >= 1; g--) ge[g] = ge[g + 1] + eq[g];
    this.top = top;
    this.tailCount = tailCount;
    this.tailEvents = tailEvents;
    this.tailExposure = tailExposure;
    this.hasPrior = hasPrior;
    this.rate = hasPrior ? 0 : Math.min(1, Math.max(1e-4, active / Math.max(1, steps - first)));
    this.tailRate = hasPrior ? priorTail : this.rate;

    if (this.prob.length < horizon) {
      this.prob = new Float64Array(horizon);
      this.ofAge = new Float64Array(horizon);
      this.fresh = new Float64Array(horizon);
      this.scratch = new Float64Array(3 * horizon);
    }
    const age = steps - 1 - last;
    for (let j = 0; j < horizon; j++) this.ofAge[j] = this.hazard(age + 1 + j);
    for (let k = 1; k < horizon; k++) this.fresh[k] = this.hazard(k);
    activityFromHazards(this.ofAge, this.fresh, horizon, this.prob, this.scratch);
    for (let g = 1; g <= top; g++) eq[g] = 0;
    eq[range + 1] = 0;
    return n;
  }
}
