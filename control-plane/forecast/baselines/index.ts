/**
 * The always-available baselines. They need no model file, never throw on finite input, and are the
 * fallback whenever a model cannot be loaded or run.
 */
import type { SeriesForecaster } from '../../domain/forecaster';
import { createHoltWinters } from './holt-winters';
import { createSeasonalDelta, createSeasonalNaive } from './seasonal';
import { createMovingAverage, createMovingMedian, createSes, naive } from './simple';
import { createWindowQuantile } from './window-quantile';

export { createHoltWinters } from './holt-winters';
export { createSeasonalDelta, createSeasonalNaive, dailyPeriod } from './seasonal';
export { createMovingAverage, createMovingMedian, createSes, naive } from './simple';
export { createTsb } from './tsb';
export { createWindowQuantile } from './window-quantile';
export { createFleetIntermittent, isFleetIntermittent } from './intermittent';
export type { FleetIntermittent } from './intermittent';

/** The default candidate set, cheapest first. */
export function defaultBaselines(): SeriesForecaster[] {
  return [
    naive,
    createMovingAverage(3),
    createMovingAverage(6),
    createMovingAverage(12),
    createMovingMedian(6),
    createMovingMedian(12),
    createMovingMedian(24),
    createSes(0.1),
    createSes(0.2),
    createSes(0.4),
    createHoltWinters(),
    createSeasonalNaive(),
    createSeasonalDelta(1),
    createSeasonalDelta(3),
    createSeasonalDelta(6),
    createWindowQuantile(60),
    createWindowQuantile('day'),
  ];
}
