/** A real forecast engine (baselines only) that a test can hold at a gate or make fail. */
import type { DemandWindows, ForecastBatch } from '../../../control-plane/domain/demand';
import {
  createForecastEngine,
  type ForecastContext,
  type ForecastEngine,
} from '../../../control-plane/forecast/engine';

export class ControlledEngine implements ForecastEngine {
  active = 0;
  maxActive = 0;
  calls = 0;
  failWith: Error | undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  private constructor(private readonly inner: ForecastEngine) {}

  static async create(): Promise<ControlledEngine> {
    return new ControlledEngine(await createForecastEngine({ modelFile: null }));
  }

  /** Forecasts wait until release(). */
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async forecast(w: DemandWindows, ctx?: ForecastContext): Promise<ForecastBatch> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.gate) await this.gate;
      if (this.failWith) throw this.failWith;
      return await this.inner.forecast(w, ctx);
    } finally {
      this.active--;
    }
  }
  setModel(m: Parameters<ForecastEngine['setModel']>[0]): Promise<void> {
    return this.inner.setModel(m);
  }
  status(): ReturnType<ForecastEngine['status']> {
    return this.inner.status();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
