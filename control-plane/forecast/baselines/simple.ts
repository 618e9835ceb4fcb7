/** The simplest baselines: last value, moving mean, moving median, exponential smoothing. */
import { PointForecaster, pointForecaster } from './point';

const FLAT = { flat: true };

export const naive: PointForecaster = pointForecaster(
  'naive',
  (v, from, to, _s, H, path) => {
    path.fill(to > from ? v[to - 1] : 0, 0, H);
  },
  FLAT,
);

/** Mean of the last k steps. */
export function createMovingAverage(k: number): PointForecaster {
  return pointForecaster(
    `mean-${k}`,
    (v, from, to, _s, H, path) => {
      const a = Math.max(from, to - k);
      let sum = 0;
      for (let i = a; i < to; i++) sum += v[i];
      path.fill(to > a ? sum / (to - a) : 0, 0, H);
    },
    FLAT,
  );
}

/** Median of the last k steps: robust to the spikes that dominate tweet and request series. */
export function createMovingMedian(k: number): PointForecaster {
  const buf = new Float64Array(k);
  return pointForecaster(
    `median-${k}`,
    (v, from, to, _s, H, path) => {
      const n = Math.min(k, to - from);
      // Insertion sort: k is small and this runs per series per cycle.
      for (let i = 0; i < n; i++) {
        const x = v[to - n + i];
        let j = i - 1;
        while (j >= 0 && buf[j] > x) {
          buf[j + 1] = buf[j];
          j--;
        }
        buf[j + 1] = x;
      }
      path.fill(n === 0 ? 0 : n % 2 ? buf[n >> 1] : (buf[n / 2 - 1] + buf[n / 2]) / 2, 0, H);
    },
    FLAT,
  );
}

/** Simple exponential smoothing with a fixed α, run over the last ~8/α steps (older weight < e^-8). */
export function createSes(alpha: number): PointForecaster {
  const span = Math.ceil(8 / alpha);
  return pointForecaster(
    `ses-${alpha}`,
    (v, from, to, _s, H, path) => {
      if (to <= from) return path.fill(0, 0, H);
      const a = Math.max(from, to - span);
      let level = v[a];
      for (let i = a + 1; i < to; i++) level += alpha * (v[i] - level);
      path.fill(level, 0, H);
    },
    FLAT,
  );
}
