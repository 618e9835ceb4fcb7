/**
 * The probability that a user's current idle gap ends at step g, from its own gap counts shrunk
 * towards a prior (a Bayesian estimate with `priorStrength` pseudo-gaps). Timers jitter by a step
 * or two, so beyond `smoothFrom` steps half of each bin's weight is spread over its neighbours.
 */
import type { GapHistogram } from './gap-histogram';

export interface HazardPrior {
  hazard(g: number): number;
  tailRate(): number;
}

export interface HazardOptions {
  /** Pseudo-gaps the prior is worth (default 4). */
  priorStrength: number;
  /** Share of a bin's count replaced by the mean of its neighbours (default 0.5; 0 = off). */
  smoothing: number;
  /** Smallest gap that is smoothed (default 5 steps). */
  smoothFrom: number;
  /** Half-width of the neighbourhood, relative to the gap (default 0.1, at least one step). */
  smoothWidth: number;
}

export const DEFAULT_HAZARD_OPTIONS: HazardOptions = {
  priorStrength: 4,
  smoothing: 0.5,
  smoothFrom: 5,
  smoothWidth: 0.1,
};

/** A memoryless prior: every step ends the gap with the series' own activity rate. */
export class GeometricPrior implements HazardPrior {
  constructor(private readonly rate: number) {}
  hazard(): number {
    return this.rate;
  }
  tailRate(): number {
    return this.rate;
  }
}

export function seriesHazard(gaps: GapHistogram, prior: HazardPrior, g: number, o: HazardOptions): number {
  const a = o.priorStrength;
  if (g > gaps.range) return clamp01((gaps.tailEvents + a * prior.tailRate()) / (gaps.tailExposure + a));
  let e = gaps.eq[g];
  if (o.smoothing > 0 && g >= o.smoothFrom && g < gaps.range) {
    const w = Math.max(1, Math.floor(g * o.smoothWidth));
    const lo = Math.max(1, g - w);
    const hi = Math.min(gaps.range, g + w);
    e = (1 - o.smoothing) * e + (o.smoothing * (gaps.sumEq(lo, hi) - e)) / (hi - lo);
  }
  return clamp01((e + a * prior.hazard(g)) / (gaps.countAtLeast(g) + a));
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
