/**
 * The fleet's pooled idle-gap hazard: what a user with little history of its own is assumed to do.
 * Shrinking each user's sparse histogram towards it (hazard.ts) is what makes a handful of observed
 * gaps usable; on the Azure Functions replay it beats a per-user geometric prior clearly (README).
 */
import { DEFAULT_GAP_RANGE, GapHistogram } from './gap-histogram';
import { collectGaps } from './series-gaps';

export class FleetHazardPrior {
  readonly gaps: GapHistogram;

  constructor(range = DEFAULT_GAP_RANGE) {
    this.gaps = new GapHistogram(range);
  }

  get range(): number {
    return this.gaps.range;
  }

  /** Add every completed gap of one user's dense history (oldest first, zeros where idle). */
  addHistory(history: ArrayLike<number>): void {
    collectGaps(history, this.gaps);
  }

  addGap(gap: number): void {
    this.gaps.add(gap);
  }

  /** Pooled probability that a gap which has lasted g - 1 steps ends at step g (g >= 1). */
  hazard(g: number): number {
    if (g > this.gaps.range) return this.tailRate();
    return (this.gaps.eq[g] + 0.5) / (this.gaps.countAtLeast(g) + 1);
  }

  /** Per-step end rate of gaps longer than the histogram's range. */
  tailRate(): number {
    return (this.gaps.tailEvents + 0.5) / (this.gaps.tailExposure + 1);
  }
}
