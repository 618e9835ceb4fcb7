/**
 * The evaluation protocol of issue 6, for one series:
 *  - split 70/30 in time; the MASE scale is the mean absolute one-step change over the first 70 %;
 *  - horizon 15 minutes: H = max(1, floor(15 min / interval)) steps (3 at 5 min, 1 at 30 min), and
 *    each origin t in the last 30 % is scored on the value H steps ahead, y[t+H-1], the forecast
 *    15 minutes out (this reproduces the anchors: naive 1.09, last-hour mean 1.00,
 *    seasonal naive 1.56);
 *  - every forecast at origin t sees only y[0, t): the engine runs online from one day before the
 *    split (those origins unscored) and learns its per-series choice and calibration only from
 *    forecasts whose targets were already observed.
 * Reported per method: MASE of the median, pinball loss and coverage of q0.95.
 */
import type { DemandWindows } from '../../domain/demand';
import type { SeriesForecaster, SeriesForecastRequest } from '../../domain/forecaster';
import { dailyPeriod } from '../baselines/seasonal';
import { pinball } from '../chooser';
import { createForecastEngine, ForecastEngineOptions } from '../engine';
import { fillRow } from '../model/features';
import type { OnnxQuantileModel } from '../model/onnx-model';
import { interpolateLevel } from '../candidates';
import type { Series } from './csv-series';

export const RESERVATION_Q = 0.95;
export const EVAL_QUANTILES = [0.5, 0.9, 0.95, 0.99];
export const OURS = 'earmark';
export const LAST_DAY_Q95 = 'q95-last-24h';

export interface MethodScore {
  name: string;
  mase: number;
  pinball95: number;
  coverage95: number;
}

export interface SeriesResult {
  name: string;
  points: number;
  intervalMs: number;
  horizonSteps: number;
  split: number;
  origins: number;
  scale: number;
  methods: MethodScore[];
  /** How often each model was the chosen one, over the scored origins. */
  chosen: Record<string, number>;
}

export interface EvalOptions {
  horizonMs?: number;
  trainShare?: number;
  /** The ONNX model to include (standalone and inside the engine); undefined = baselines only. */
  model?: OnnxQuantileModel;
  baselines: SeriesForecaster[];
  engine?: Partial<ForecastEngineOptions>;
  /** Origins before the split the engine runs unscored, to learn its state (default: one day). */
  warmupSteps?: number;
}

class Score {
  abs = 0;
  pin = 0;
  cover = 0;
  n = 0;
  add(y: number, median: number, q95: number): void {
    this.abs += Math.abs(y - median);
    this.pin += pinball(y, q95, RESERVATION_Q);
    if (y <= q95) this.cover++;
    this.n++;
  }
  result(name: string, scale: number): MethodScore {
    return {
      name,
      mase: this.abs / this.n / scale,
      pinball95: this.pin / this.n,
      coverage95: this.cover / this.n,
    };
  }
}

/** Steps of history each forecast sees: 8 days (the seasonal methods look back 7), at least 64. */
export function historySteps(intervalMs: number): number {
  return Math.max(64, 8 * dailyPeriod(intervalMs) + 16);
}

export async function evaluateSeries(series: Series, opts: EvalOptions): Promise<SeriesResult> {
  const y = series.values;
  const n = y.length;
  const H = Math.max(1, Math.floor((opts.horizonMs ?? 15 * 60_000) / series.intervalMs));
  const split = Math.floor((opts.trainShare ?? 0.7) * n);
  if (split < 2 || n - split < H)
    throw new Error(
      `${series.name}: ${n} points are too few to split ${opts.trainShare ?? 0.7} and forecast ${H} steps`,
    );
  let scale = 0;
  for (let t = 1; t < split; t++) scale += Math.abs(y[t] - y[t - 1]);
  scale /= split - 1;
  if (!(scale > 0))
    throw new Error(`${series.name}: the first ${split} points never change (MASE scale is 0)`);

  const hist = historySteps(series.intervalMs);
  const stepMs = series.intervalMs;
  const engine = await createForecastEngine({
    baselines: opts.baselines,
    model: opts.model,
    horizon: H,
    quantiles: EVAL_QUANTILES,
    scoringLead: H,
    reservationQuantile: RESERVATION_Q,
    resourceFeature: false,
    onModelError: (e) => {
      throw e;
    },
    ...opts.engine,
  });
  const scores = new Map<string, Score>();
  const score = (name: string) => scores.get(name) ?? scores.set(name, new Score()).get(name)!;
  const chosen: Record<string, number> = {};
  const raw = new Float32Array(2 * H);
  const req: SeriesForecastRequest = {
    history: new Float32Array(0),
    originMs: 0,
    stepMs,
    horizon: H,
    quantiles: [0.5, RESERVATION_Q],
  };
  const P = dailyPeriod(stepMs);
  const day: number[] = [];
  const q95 = EVAL_QUANTILES.indexOf(RESERVATION_Q);

  const warm = Math.min(opts.warmupSteps ?? P, split - 2);
  for (let t = split - warm; t + H <= n; t++) {
    const from = Math.max(0, t - hist);
    const window = Float32Array.from(y.subarray(from, t));
    const originMs = series.timesMs[t - 1] + stepMs;
    const target = y[t + H - 1];
    const w: DemandWindows = {
      users: [series.name],
      resources: ['requests'],
      startMs: originMs - window.length * stepMs,
      stepMs,
      steps: window.length,
      values: window,
    };
    const b = await engine.forecast(w);
    if (t < split) continue; // warm-up: the engine learns from origins before the split, unscored
    score(OURS).add(target, b.values[H - 1], b.values[q95 * H + H - 1]);
    const used = b.models[b.modelOf[0]];
    chosen[used] = (chosen[used] ?? 0) + 1;

    req.history = window;
    req.originMs = originMs;
    for (const f of opts.baselines) {
      f.forecast(req, raw);
      score(f.name).add(target, raw[H - 1], raw[2 * H - 1]);
    }
    // The reference for P: the empirical q0.95 (and median) of the last 24 hours.
    day.length = 0;
    for (let i = Math.max(0, t - P); i < t; i++) day.push(y[i]);
    day.sort((a, c) => a - c);
    score(LAST_DAY_Q95).add(
      target,
      day[(day.length - 1) >> 1],
      day[Math.floor(RESERVATION_Q * (day.length - 1))],
    );
  }
  await engine.close();

  if (opts.model) {
    const s = score(`onnx:${opts.model.name}`);
    const T = n - H + 1 - split;
    const fb = opts.model.newBatch(T);
    for (let k = 0; k < T; k++) {
      const t = split + k;
      fillRow(fb, k, y, Math.max(0, t - hist), t, series.timesMs[t - 1] + stepMs, stepMs, {});
    }
    const out = await opts.model.run(fb, T);
    const { horizon: MH, quantiles: levels } = opts.model.signature;
    const Q = levels.length;
    for (let k = 0; k < T; k++) {
      const row = (k * MH + H - 1) * Q;
      const read = (v: number) => {
        const x = fb.center[k] + fb.scale[k] * v;
        return fb.nonNegative[k] && x < 0 ? 0 : x;
      };
      s.add(
        y[split + k + H - 1],
        read(out[row + levels.indexOf(0.5)]),
        read(interpolateLevel(levels, out, row, 1, RESERVATION_Q)),
      );
    }
  }

  return {
    name: series.name,
    points: n,
    intervalMs: series.intervalMs,
    horizonSteps: H,
    split,
    origins: n - H + 1 - split,
    scale,
    methods: [...scores].map(([name, s]) => s.result(name, scale)),
    chosen,
  };
}
