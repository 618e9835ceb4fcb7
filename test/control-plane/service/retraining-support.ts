/** Shared by the retraining tests: a schedule on a SimClock and an engine whose swaps are recorded. */
import { SimClock } from '../../../control-plane/domain/clock';
import type { ForecastEngine } from '../../../control-plane/forecast/engine';
import { RetrainingSchedule, type RetrainingOptions } from '../../../control-plane/service/retraining';

export const RETRAIN_START_MS = Date.UTC(2026, 0, 6);

/** Records the files engine.setModel is given (then sets them as usual). */
export function recordSwaps(engine: ForecastEngine): string[] {
  const swaps: string[] = [];
  const setModel = engine.setModel.bind(engine);
  (engine as { setModel: ForecastEngine['setModel'] }).setModel = async (f) => {
    swaps.push(String(f));
    return setModel(f);
  };
  return swaps;
}

/** Hourly retraining on a SimClock at RETRAIN_START_MS, 1-minute steps. */
export function hourlySchedule(
  o: Pick<RetrainingOptions, 'engine' | 'registryDir' | 'defaultModelFile' | 'store' | 'steps' | 'logger'>,
): RetrainingSchedule {
  return new RetrainingSchedule({
    clock: new SimClock(RETRAIN_START_MS),
    everyMs: 3_600_000,
    stepMs: 60_000,
    ...o,
  });
}
