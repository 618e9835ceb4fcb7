/** The simplest baselines: last value, moving mean, moving median, exponential smoothing. */
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import { writeFlat } from './spread';

export const naive: SeriesForecaster = {
  name: 'naive',
  forecast(req, out) {
    const h = req.history;
    writeFlat(req, h.length > 0 ? h[h.length - 1] : 0, out);
  },
};

/** Mean of the last k steps. */
export function createMovingAverage(k: number): SeriesForecaster {
  return {
    name: `mean-${k}`,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const from = Math.max(0, h.length - k);
      let sum = 0;
      for (let i = from; i < h.length; i++) sum += h[i];
      writeFlat(req, h.length > from ? sum / (h.length - from) : 0, out);
    },
  };
}

/** Median of the last k steps: robust to the spikes that dominate tweet and request series. */
export function createMovingMedian(k: number): SeriesForecaster {
  const buf = new Float64Array(k);
  return {
    name: `median-${k}`,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      const n = Math.min(k, h.length);
      // Insertion sort: k is small and this runs per series per cycle.
      for (let i = 0; i < n; i++) {
        const v = h[h.length - n + i];
        let j = i - 1;
        while (j >= 0 && buf[j] > v) {
          buf[j + 1] = buf[j];
          j--;
        }
        buf[j + 1] = v;
      }
      const med = n === 0 ? 0 : n % 2 ? buf[n >> 1] : (buf[n / 2 - 1] + buf[n / 2]) / 2;
      writeFlat(req, med, out);
    },
  };
}

/** Simple exponential smoothing with a fixed α, run over the last ~8/α steps (older weight < e^-8). */
export function createSes(alpha: number): SeriesForecaster {
  const span = Math.ceil(8 / alpha);
  return {
    name: `ses-${alpha}`,
    forecast(req: SeriesForecastRequest, out: Float32Array) {
      const h = req.history;
      if (h.length === 0) return writeFlat(req, 0, out);
      const from = Math.max(0, h.length - span);
      let level = h[from];
      for (let i = from + 1; i < h.length; i++) level += alpha * (h[i] - level);
      writeFlat(req, level, out);
    },
  };
}
