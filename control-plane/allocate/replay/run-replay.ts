/**
 * `earmark eval replay`: the Azure Functions trace through Earmark's forecasting and allocation,
 * online, against fixed keep-alive (the protocol of Shahrad et al., ATC 2020; see README.md).
 */
import { DEFAULT_HAZARD_OPTIONS } from '../../forecast/intermittent/hazard';
import { windowSteps } from '../demand';
import type { Policy } from '../policy';
import { EvalWindow, keepAliveScore, ReplayScore, scoreReservations } from './accounting';
import { forecastActivity, reservedByQuantile } from './activity-replay';
import { AllocatorReplay, STEP_MS } from './allocator-replay';
import type { FunctionTrace } from './azure-trace';
import { Calibration, calibrateQuantile } from './calibrate';

export interface ReplayOptions {
  /** Minutes of history before the evaluated ones (720: evaluate 721..end). */
  historyMinutes: number;
  /** A fixed quantile instead of calibrating one on the history half. */
  quantile?: number;
  /** Keep-alive whose idle memory is the calibration budget (10 min). */
  budgetKeepAlive: number;
  keepAlives: number[];
  curve: number[];
}

export interface ReplayReport {
  functions: number;
  evaluated: EvalWindow;
  invokedMinutes: number;
  quantile: number;
  calibration?: Calibration;
  ours: ReplayScore;
  keepAlive: { minutes: number; score: ReplayScore }[];
  curve: { quantile: number; score: ReplayScore }[];
  leadTimeMs: number;
}

export function runReplay(trace: FunctionTrace, policy: Policy, o: ReplayOptions): ReplayReport {
  const T = trace.minutes;
  if (o.historyMinutes < 2 || o.historyMinutes >= T)
    throw new Error(`history of ${o.historyMinutes} minutes leaves nothing to evaluate in ${T} minutes`);
  const evaluated = { from: o.historyMinutes, to: T };
  const backtest = { from: Math.floor(o.historyMinutes / 2), to: o.historyMinutes };
  // The plan of minute m holds minutes m .. m + window - 1: until the next plan plus the lead time.
  const window = windowSteps(STEP_MS, STEP_MS, policy.leadTimeMs);
  const replayPolicy: Policy = { ...policy, tiers: policy.tiers.map((t) => ({ ...t })) };
  let calibration: Calibration | undefined;
  let allocator: AllocatorReplay | undefined;
  const forecasts = forecastActivity(trace, backtest.from, window, DEFAULT_HAZARD_OPTIONS, {
    onMinute(m, series, prior, soFar) {
      if (m < evaluated.from) return;
      if (!allocator) {
        // Minute 721: choose the quantile from the past only, then run the real cycle from here on.
        if (o.quantile === undefined)
          calibration = calibrateQuantile(trace, soFar, backtest, o.budgetKeepAlive);
        replayPolicy.tiers[0].quantile = o.quantile ?? calibration!.quantile;
        allocator = new AllocatorReplay(trace, replayPolicy, window);
      }
      allocator.cycle(m, series, prior);
    },
  });
  const quantile = replayPolicy.tiers[0].quantile;
  const ours = scoreReservations(trace, evaluated, (f, m) => allocator!.reserved[f * T + m] === 1);
  // The curve uses the same forecasts and the same window rule without building plans; check once
  // that the rule and the allocator agree on every function-minute.
  const rule = reservedByQuantile(forecasts, quantile);
  for (let f = 0; f < trace.ids.length; f++)
    for (let m = evaluated.from; m < T; m++)
      if (rule(f, m) !== (allocator!.reserved[f * T + m] === 1))
        throw new Error(
          `replay: allocator and threshold rule disagree for ${trace.ids[f]} at minute ${m + 1}`,
        );
  return {
    functions: trace.ids.length,
    evaluated,
    invokedMinutes: ours.invokedMinutes,
    quantile,
    calibration,
    ours,
    keepAlive: o.keepAlives.map((k) => ({ minutes: k, score: keepAliveScore(trace, evaluated, k) })),
    curve: o.curve.map((q) => ({
      quantile: q,
      score: scoreReservations(trace, evaluated, reservedByQuantile(forecasts, q)),
    })),
    leadTimeMs: policy.leadTimeMs,
  };
}
