/**
 * One forecasting method for one user's series. Baselines, the intermittent-demand method and the
 * ONNX models all implement it, so the per-user chooser can score and switch between them.
 */
export interface SeriesForecastRequest {
  /** Dense history, oldest first, one value per step (zeros where idle). */
  history: Float32Array;
  /** Epoch ms of the step after the last history value (the first forecast step). */
  originMs: number;
  stepMs: number;
  horizon: number;
  /** Ascending quantile levels. */
  quantiles: readonly number[];
}

export interface SeriesForecaster {
  readonly name: string;
  /** Writes out[q * horizon + h] for every quantile q and step h. Must not throw on any finite input. */
  forecast(req: SeriesForecastRequest, out: Float32Array): void;
}
