/**
 * How much history the forecaster needs to use everything it has: the largest `minHistorySteps`
 * of its default baselines (the daily-seasonal ones need a day plus their level window). With a
 * shorter `historySteps` those methods are silently skipped, so the service warns at start.
 */
import type { Logger } from '../domain/logger';
import { defaultBaselines } from '../forecast/baselines';
import { minHistoryOf } from '../forecast/baselines/needs';

/** Forecasters that `historySteps` steps of history leave out, and the steps all of them need. */
export function forecastHistoryNeed(historySteps: number, stepMs: number): { needed: number; off: string[] } {
  const needs = defaultBaselines().map((b) => ({ name: b.name, steps: minHistoryOf(b, stepMs) }));
  return {
    needed: Math.max(...needs.map((n) => n.steps)),
    off: needs.filter((n) => n.steps > historySteps).map((n) => n.name),
  };
}

/** Logs a warning naming the forecasters a short history turns off; returns whether it did. */
export function warnIfHistoryShort(historySteps: number, stepMs: number, logger: Logger): boolean {
  const { needed, off } = forecastHistoryNeed(historySteps, stepMs);
  if (off.length === 0) return false;
  logger.warn('historySteps is shorter than the forecaster needs: some methods are off', {
    historySteps,
    needed,
    off: off.join(', '),
    fix: `set historySteps (EARMARK_HISTORY_STEPS) to ${needed} or more`,
  });
  return true;
}
