/**
 * Counts of idle gaps (steps between two consecutive active steps) for one series or a whole fleet,
 * as in the hybrid histogram policy of Shahrad et al. (ATC 2020): one-step bins up to `range`, and
 * beyond it a tail summarised by a per-step rate (events / exposure), so memory stays bounded.
 */
export const DEFAULT_GAP_RANGE = 240;

export class GapHistogram {
  /** eq[g] = completed gaps of exactly g steps, 1 <= g <= range; eq[range + 1] = longer gaps. */
  readonly eq: Float64Array;
  /** Steps spent beyond `range` by the longer gaps, and how many of them there were. */
  tailExposure = 0;
  tailEvents = 0;
  total = 0;
  private ge: Float64Array;
  private dirty = false;

  constructor(readonly range = DEFAULT_GAP_RANGE) {
    this.eq = new Float64Array(range + 2);
    this.ge = new Float64Array(range + 3);
  }

  /** Record a completed gap of `gap` >= 1 steps, with weight `w` (a fleet prior may add many at once). */
  add(gap: number, w = 1): void {
    const bin = gap > this.range ? this.range + 1 : gap;
    this.eq[bin] += w;
    this.total += w;
    if (gap > this.range) {
      this.tailExposure += (gap - this.range) * w;
      this.tailEvents += w;
    }
    this.dirty = true;
  }

  addAll(other: GapHistogram): void {
    for (let g = 1; g < this.eq.length; g++) this.eq[g] += other.eq[g];
    this.total += other.total;
    this.tailExposure += other.tailExposure;
    this.tailEvents += other.tailEvents;
    this.dirty = true;
  }

  clear(): void {
    this.eq.fill(0);
    this.total = this.tailExposure = this.tailEvents = 0;
    this.dirty = true;
  }

  /** Completed gaps of at least g steps (g <= range; longer gaps count for every g). */
  countAtLeast(g: number): number {
    if (this.dirty) {
      const n = this.range + 1;
      this.ge[n + 1] = 0;
      for (let i = n; i >= 1; i--) this.ge[i] = this.ge[i + 1] + this.eq[i];
      this.ge[0] = this.ge[1];
      this.dirty = false;
    }
    return this.ge[g < 1 ? 1 : g > this.range + 1 ? this.range + 1 : g];
  }

  /** Sum of eq over [lo, hi], both within 1..range. */
  sumEq(lo: number, hi: number): number {
    let s = 0;
    for (let g = lo; g <= hi; g++) s += this.eq[g];
    return s;
  }
}
