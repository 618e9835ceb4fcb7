/**
 * One user's state for the intermittent method, updated one step at a time: its idle-gap histogram,
 * where its last activity was, and the sizes of its recent active steps. The stateless forecaster
 * (index.ts) builds one from a history window; a replay keeps one per user and feeds it step by step.
 */
import { activityAhead } from './activity';
import { DEFAULT_GAP_RANGE, GapHistogram } from './gap-histogram';
import { DEFAULT_HAZARD_OPTIONS, GeometricPrior, HazardOptions, HazardPrior, seriesHazard } from './hazard';
import { isActive } from './series-gaps';

/** Recent active-step sizes kept for the conditional demand quantiles. */
export const DEFAULT_SIZE_MEMORY = 64;

export class IntermittentSeries {
  readonly gaps: GapHistogram;
  /** Steps observed, and the index of the last active one (-1: never active). */
  steps = 0;
  lastActive = -1;
  private firstActive = -1;
  private activeSteps = 0;
  private readonly sizes: Float64Array;
  private sizeCount = 0;
  private sizeNext = 0;
  private readonly sorted: Float64Array;
  private readonly prob: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    readonly maxHorizon: number,
    readonly options: HazardOptions = DEFAULT_HAZARD_OPTIONS,
    range = DEFAULT_GAP_RANGE,
    sizeMemory = DEFAULT_SIZE_MEMORY,
  ) {
    this.gaps = new GapHistogram(range);
    this.sizes = new Float64Array(sizeMemory);
    this.sorted = new Float64Array(sizeMemory);
    this.prob = new Float64Array(maxHorizon);
    this.scratch = new Float64Array(3 * maxHorizon);
  }

  /** Feed the next step's demand (non-finite values count as idle). Returns the completed gap, or 0. */
  observe(value: number): number {
    const t = this.steps++;
    if (!(Number.isFinite(value) && isActive(value))) return 0;
    let gap = 0;
    if (this.lastActive >= 0) {
      gap = t - this.lastActive;
      this.gaps.add(gap);
    } else this.firstActive = t;
    this.lastActive = t;
    this.activeSteps++;
    this.sizes[this.sizeNext] = value;
    this.sizeNext = (this.sizeNext + 1) % this.sizes.length;
    if (this.sizeCount < this.sizes.length) this.sizeCount++;
    return gap;
  }

  /** The series' own activity rate as a memoryless prior, for when no fleet prior is given. */
  selfPrior(): HazardPrior {
    const span = Math.max(1, this.steps - this.firstActive);
    return new GeometricPrior(Math.min(1, Math.max(1e-4, this.activeSteps / span)));
  }

  /** out[h] = P(active at step h after the last observed step), h < horizon. */
  activity(prior: HazardPrior | undefined, horizon: number, out: Float64Array): void {
    if (horizon > this.maxHorizon) throw new RangeError(`horizon ${horizon} > maxHorizon ${this.maxHorizon}`);
    if (this.lastActive < 0) {
      out.fill(0, 0, horizon);
      return;
    }
    const p = prior ?? this.selfPrior();
    const age = this.steps - 1 - this.lastActive;
    activityAhead((g) => seriesHazard(this.gaps, p, g, this.options), age, horizon, out, this.scratch);
  }

  /**
   * Quantiles of demand per step: out[q * horizon + h]. Demand is 0 with probability 1 - P(active);
   * above that, it follows the recent active-step sizes, so quantile q is 0 exactly when
   * P(active) <= 1 - q (the reservation threshold the allocator's tier quantile sets).
   */
  quantiles(
    prior: HazardPrior | undefined,
    horizon: number,
    levels: readonly number[],
    out: Float32Array | Float64Array,
  ): void {
    this.activity(prior, horizon, this.prob);
    const n = this.sizeCount;
    const sorted = this.sorted.subarray(0, n);
    sorted.set(this.sizes.subarray(0, n));
    sorted.sort();
    for (let qi = 0; qi < levels.length; qi++) {
      const q = levels[qi];
      for (let h = 0; h < horizon; h++) {
        const p = this.prob[h];
        let v = 0;
        if (n > 0 && p > 0 && p > 1 - q) {
          const tau = Math.min(1, (q - (1 - p)) / p);
          v = sorted[Math.min(n - 1, Math.max(0, Math.ceil(tau * n) - 1))];
        }
        out[qi * horizon + h] = v;
      }
    }
  }
}
