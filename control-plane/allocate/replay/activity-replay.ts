/**
 * Runs the intermittent forecaster online over a trace: at each minute m only minutes < m are
 * known. The fleet prior grows with every gap any function completes, as the service's would.
 * Result: P(active) for the `window` minutes starting at m, as issued at m.
 */
import { FleetHazardPrior } from '../../forecast/intermittent/fleet-prior';
import { DEFAULT_HAZARD_OPTIONS, HazardOptions } from '../../forecast/intermittent/hazard';
import { IntermittentSeries } from '../../forecast/intermittent/intermittent-series';
import type { FunctionTrace } from './azure-trace';

export interface ActivityForecasts {
  from: number;
  window: number;
  minutes: number;
  /** p[((f * minutes) + m) * window + h]: P(active at minute m + h) as forecast at m; zero before `from`. */
  p: Float64Array;
}

export interface ActivityHooks {
  /**
   * Called at minute m (>= from) once the forecasts for m are made and before minute m is seen:
   * `forecasts` holds every minute up to m, so a decision here uses only the past.
   */
  onMinute?(
    m: number,
    series: IntermittentSeries[],
    prior: FleetHazardPrior,
    forecasts: ActivityForecasts,
  ): void;
}

export function forecastActivity(
  trace: FunctionTrace,
  from: number,
  window: number,
  options: HazardOptions = DEFAULT_HAZARD_OPTIONS,
  hooks: ActivityHooks = {},
): ActivityForecasts {
  const N = trace.ids.length;
  const T = trace.minutes;
  const prior = new FleetHazardPrior();
  const series = Array.from({ length: N }, () => new IntermittentSeries(window, options));
  const p = new Float64Array(N * T * window);
  const result: ActivityForecasts = { from, window, minutes: T, p };
  const out = new Float64Array(window);
  for (let m = 0; m < T; m++) {
    if (m >= from) {
      for (let f = 0; f < N; f++) {
        series[f].activity(prior, window, out);
        p.set(out, (f * T + m) * window);
      }
      hooks.onMinute?.(m, series, prior, result);
    }
    for (let f = 0; f < N; f++) {
      const gap = series[f].observe(trace.counts[f * T + m]);
      if (gap > 0) prior.addGap(gap);
    }
  }
  return result;
}

/** Reserved at m when P(active) exceeds 1 - quantile at any minute of the lead window issued at m. */
export function reservedByQuantile(
  a: ActivityForecasts,
  quantile: number,
): (f: number, m: number) => boolean {
  const th = 1 - quantile;
  return (f, m) => {
    if (m < a.from) return false;
    const base = (f * a.minutes + m) * a.window;
    for (let h = 0; h < a.window; h++) if (a.p[base + h] > th) return true;
    return false;
  };
}
