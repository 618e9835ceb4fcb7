/** Reading idle gaps out of a dense series: the one place that defines "active" (value > 0). */
import type { GapHistogram } from './gap-histogram';

export function isActive(v: number): boolean {
  return v > 0;
}

/** Adds each completed gap of `history` to `into`; returns the index of the last active step (-1 if none). */
export function collectGaps(history: ArrayLike<number>, into: GapHistogram): number {
  let last = -1;
  for (let t = 0; t < history.length; t++) {
    if (!isActive(history[t])) continue;
    if (last >= 0) into.add(t - last);
    last = t;
  }
  return last;
}
