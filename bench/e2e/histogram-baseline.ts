/**
 * The hybrid histogram policy (sim/baselines/idle-histogram.ts, Shahrad et al., ATC 2020) as a
 * comparison row: its reservations are decided from the trace minutes before each decision only
 * (the minutes before the replay are its history, as Earmark's backfill is), replayed on the same
 * instances and arrivals as every other policy.
 */
import { peakInFlight } from '../../sim/baselines/demand-profile';
import { histogramSchedule } from '../../sim/baselines/histogram-schedule';
import { HISTOGRAM_DEFAULTS, type HistogramPolicyConfig } from '../../sim/baselines/idle-histogram';
import type { BaselineSpec } from '../../sim/baselines/replay';
import type { TraceArrivals } from './arrivals';

export interface HistogramContext {
  arrivals: TraceArrivals;
  fromMinute: number;
  toMinute: number;
  leadMs: number;
  histogram?: Partial<HistogramPolicyConfig>;
}

export function histogramSpec(c: HistogramContext): BaselineSpec {
  const cfg = { ...HISTOGRAM_DEFAULTS, ...c.histogram };
  const U = c.arrivals.users.length;
  const R = c.toMinute - c.fromMinute;
  const first = new Float64Array(U * R).fill(NaN);
  for (let k = 0; k < R; k++) {
    const a = c.arrivals.arrivals(c.fromMinute + k);
    for (let i = 0; i < a.user.length; i++) {
      const j = a.user[i] * R + k;
      if (Number.isNaN(first[j])) first[j] = a.offsetMs[i];
    }
  }
  const reservations = histogramSchedule(
    {
      users: U,
      startMs: c.arrivals.startMs,
      replayFrom: c.fromMinute,
      toMinute: c.toMinute,
      leadMs: c.leadMs,
      count: (u, m) => c.arrivals.count(u, m),
      firstOffsetMs: (u, m) => first[u * R + m - c.fromMinute],
      need: peakInFlight(c.arrivals, 0, c.toMinute),
      memoryMb: (u) => c.arrivals.users[u].memoryMb,
    },
    cfg,
  );
  return { name: 'histogram', keepAliveMs: cfg.poolKeepAliveMs, reservations };
}
