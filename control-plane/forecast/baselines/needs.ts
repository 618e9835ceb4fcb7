/** Optional extension of SeriesForecaster: how much history a method needs to be itself. */
export interface HistoryNeeds {
  /** Fewer steps than this and the method only imitates a simpler one; the engine then skips it. */
  minHistorySteps(stepMs: number): number;
}

export function minHistoryOf(f: object, stepMs: number): number {
  const n = (f as Partial<HistoryNeeds>).minHistorySteps;
  return typeof n === 'function' ? n.call(f, stepMs) : 1;
}
