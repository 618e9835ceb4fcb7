/**
 * Feeds the intermittent method's fleet prior with every idle gap the engine's sparse users
 * complete, as the allocation part's replay does (intermittent/README.md): each cycle reads only
 * the steps it has not seen, and a per-series last active step (PortfolioState) makes gaps longer
 * than the window count too. A user's first window contributes the gaps it already holds.
 */
import type { DemandWindows } from '../domain/demand';
import type { FleetHazardPrior } from './intermittent';
import type { PortfolioState } from './portfolio-state';

/** `originStep` is the first forecast step; the window holds steps [originStep - w.steps, originStep). */
export function feedFleetPrior(
  prior: FleetHazardPrior,
  st: PortfolioState,
  w: DemandWindows,
  slots: Int32Array,
  originStep: number,
  sparse: Uint8Array,
): void {
  const R = w.resources.length;
  const T = w.steps;
  const start = originStep - T;
  const v = w.values;
  for (let u = 0; u < w.users.length; u++) {
    const su = slots[u];
    const seen = st.seenUpTo[su];
    if (seen >= originStep) continue; // the same window again: nothing new
    // A user seen before this window began missed steps: its last activity is no longer known.
    const fresh = Number.isNaN(seen) || seen < start;
    st.seenUpTo[su] = originStep;
    for (let r = 0; r < R; r++) {
      const s = su * R + r;
      let last = fresh ? NaN : st.lastActive[s];
      const base = (u * R + r) * T - start;
      for (let step = fresh ? start : seen; step < originStep; step++) {
        const x = v[base + step];
        if (!(x > 0) || x === Infinity) continue;
        // Only sparse users' gaps: the prior stands for users with little activity of their own.
        if (!Number.isNaN(last) && sparse[u]) prior.addGap(step - last);
        last = step;
      }
      st.lastActive[s] = last;
    }
  }
}
