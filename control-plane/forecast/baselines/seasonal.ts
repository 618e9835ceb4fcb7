/**
 * Baselines that use the daily cycle: seasonal naive, and a "seasonal delta" that adds to the
 * current level the change the same hours showed on past days. Both need a day of history and
 * say so through minHistorySteps (the engine skips them with less).
 */
import type { HistoryNeeds } from './needs';
import { PointForecaster, pointForecaster } from './point';

const DAY_MS = 86_400_000;

export function dailyPeriod(stepMs: number): number {
  return Math.max(1, Math.round(DAY_MS / stepMs));
}

/** The value one day earlier at the same time of day (the last value with less than a day). */
export function createSeasonalNaive(): PointForecaster & HistoryNeeds {
  const needs: HistoryNeeds = { minHistorySteps: (stepMs) => dailyPeriod(stepMs) };
  return pointForecaster(
    'seasonal-naive',
    (v, from, to, stepMs, H, path) => {
      const P = dailyPeriod(stepMs);
      if (to - from < P) return path.fill(to > from ? v[to - 1] : 0, 0, H);
      for (let k = 0; k < H; k++) path[k] = v[to - P + (k % P)];
    },
    needs,
  ) as PointForecaster & HistoryNeeds;
}

/**
 * Level = mean of the last k steps; plus, averaged over up to `days` past days, how far the value
 * h steps later stood from that day's k-step mean at the same time of day.
 */
export function createSeasonalDelta(k: number, days = 7): PointForecaster & HistoryNeeds {
  const needs: HistoryNeeds = { minHistorySteps: (stepMs) => dailyPeriod(stepMs) + k };
  return pointForecaster(
    `seasonal-delta-${k}`,
    (v, from, to, stepMs, H, path) => {
      const n = to - from;
      const P = dailyPeriod(stepMs);
      const kk = Math.min(k, n);
      let level = 0;
      for (let i = to - kk; i < to; i++) level += v[i];
      level = kk > 0 ? level / kk : 0;
      path.fill(level, 0, H);
      // A past day counts only if its horizon is already observed (P >= H).
      const d = Math.min(days, Math.floor((n - k) / P));
      if (d < 1 || P < H) return;
      for (let j = 1; j <= d; j++) {
        const b = to - j * P;
        let m = 0;
        for (let i = b - k; i < b; i++) m += v[i];
        m /= k;
        for (let s = 0; s < H; s++) path[s] += (v[b + s] - m) / d;
      }
    },
    needs,
  ) as PointForecaster & HistoryNeeds;
}
