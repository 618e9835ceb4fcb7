/**
 * The operator's rule for the quantile knob, using only the past: on the history half (minutes
 * after the first `from`, forecast online from minute 1) find the largest tier quantile whose idle
 * memory stays within a budget, here what fixed keep-alive spends on the same minutes.
 */
import { keepAliveScore, ReplayScore, scoreReservations, EvalWindow } from './accounting';
import { ActivityForecasts, reservedByQuantile } from './activity-replay';
import type { FunctionTrace } from './azure-trace';

export interface Calibration {
  quantile: number;
  window: EvalWindow;
  budgetGbH: number;
  budgetFrom: string;
  atQuantile: ReplayScore;
}

/** Quantiles tried, to 0.001: idle memory grows with q, so bisection finds the budget's edge. */
export function calibrateQuantile(
  trace: FunctionTrace,
  forecasts: ActivityForecasts,
  window: EvalWindow,
  keepAliveMinutes: number,
): Calibration {
  const budget = keepAliveScore(trace, window, keepAliveMinutes).idleGbH;
  const score = (q: number) => scoreReservations(trace, window, reservedByQuantile(forecasts, q));
  let lo = 500; // q = lo / 1000 is within budget (or the lowest tried)
  let hi = 999;
  if (score(hi / 1000).idleGbH <= budget) lo = hi;
  else {
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (score(mid / 1000).idleGbH <= budget) lo = mid;
      else hi = mid;
    }
  }
  const quantile = lo / 1000;
  return {
    quantile,
    window,
    budgetGbH: budget,
    budgetFrom: `keep-alive ${keepAliveMinutes} min`,
    atQuantile: score(quantile),
  };
}
