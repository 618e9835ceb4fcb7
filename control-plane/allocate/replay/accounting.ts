/**
 * The replay's score, as in Shahrad et al. (ATC 2020): an invoked function-minute without a
 * reservation is a cold start; a reserved minute without an invocation is idle memory, costed at
 * the function's average allocated memory. The same tally scores keep-alive and Earmark.
 */
import type { FunctionTrace } from './azure-trace';

export interface ReplayScore {
  /** Cold function-minutes as a percentage of invoked function-minutes. */
  coldPct: number;
  /** Reserved-but-idle memory, GB-hours (GB = 1024 MB). */
  idleGbH: number;
  coldMinutes: number;
  invokedMinutes: number;
}

export interface EvalWindow {
  /** First and one-past-last evaluated minute, 0-based (minutes 721..1440 are 720..1440). */
  from: number;
  to: number;
}

/** Scores `reserved(f, m)` over the window. */
export function scoreReservations(
  trace: FunctionTrace,
  win: EvalWindow,
  reserved: (f: number, m: number) => boolean,
): ReplayScore {
  const T = trace.minutes;
  let cold = 0;
  let invoked = 0;
  let idleMbMin = 0;
  for (let f = 0; f < trace.ids.length; f++) {
    for (let m = win.from; m < win.to; m++) {
      const inv = trace.counts[f * T + m] > 0;
      const res = reserved(f, m);
      if (inv) {
        invoked++;
        if (!res) cold++;
      } else if (res) idleMbMin += trace.memoryMb[f];
    }
  }
  return {
    coldPct: invoked === 0 ? 0 : (100 * cold) / invoked,
    idleGbH: idleMbMin / 1024 / 60,
    coldMinutes: cold,
    invokedMinutes: invoked,
  };
}

/** Fixed keep-alive: a function stays loaded for `minutes` after each invoked minute (history counts). */
export function keepAliveScore(trace: FunctionTrace, win: EvalWindow, minutes: number): ReplayScore {
  const T = trace.minutes;
  const lastBefore = new Int32Array(trace.ids.length * T).fill(-1);
  for (let f = 0; f < trace.ids.length; f++) {
    let last = -1;
    for (let m = 0; m < T; m++) {
      lastBefore[f * T + m] = last;
      if (trace.counts[f * T + m] > 0) last = m;
    }
  }
  return scoreReservations(trace, win, (f, m) => {
    const last = lastBefore[f * T + m];
    return last >= 0 && m - last <= minutes;
  });
}
