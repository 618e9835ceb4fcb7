/**
 * The engine's ONNX model: which one is loaded, from which file, whether the engine owns it (and
 * so disposes it), and the last load or run error. A failed swap keeps the last good model: the
 * retrainer may publish a broken file, and that must never leave the fleet on baselines alone.
 *
 * A swap (a promotion) can land while a cycle awaits the old model's run: the slot counts the runs
 * of the models it owns and disposes a replaced one only when its last run has ended, so that
 * cycle finishes on the old model instead of failing with "Session already disposed".
 */
import { OnnxQuantileModel } from './model/onnx-model';

export class ModelSlot {
  model: OnnxQuantileModel | null = null;
  file: string | null = null;
  error: string | null = null;
  /**
   * Set when the slot loaded the model (and so disposes it; a model passed in stays the caller's):
   * disposes it now, or after its runs in progress (see track).
   */
  private retire: (() => Promise<void>) | undefined;

  constructor(
    /** Steps the engine forecasts: a model with a shorter horizon is refused. */
    private readonly horizon: number,
    private readonly threads: number | undefined,
    private readonly onError: (e: Error) => void,
  ) {}

  report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.error = e.message;
    this.onError(e);
  }

  /** Loads a file or takes a model (null unloads); returns false when a file failed to load. */
  async set(spec: OnnxQuantileModel | string | null): Promise<boolean> {
    let m: OnnxQuantileModel | null;
    const owned = typeof spec === 'string';
    if (typeof spec === 'string') {
      try {
        m = await OnnxQuantileModel.load(spec, { threads: this.threads });
        if (m.signature.horizon < this.horizon) {
          await m.dispose();
          throw new Error(
            `model ${spec} forecasts ${m.signature.horizon} steps, the engine needs ${this.horizon}`,
          );
        }
      } catch (err) {
        this.report(err);
        if (!this.model) this.file = spec;
        return false;
      }
    } else m = spec;
    if (this.model && this.model !== m && this.retire)
      this.retire().catch((err) => this.onError(err instanceof Error ? err : new Error(String(err))));
    this.retire = owned && m ? track(m) : undefined;
    this.model = m;
    this.file = m?.file ?? null;
    this.error = null;
    return true;
  }

  /** Disposes an owned model once its run in progress (if any) has ended. */
  async close(): Promise<void> {
    const retire = this.retire;
    this.retire = undefined;
    this.model = null;
    await retire?.();
  }
}

/**
 * Counts m's runs in progress (the engine holds the model across the await of run, so the count
 * is the only sign a cycle still needs it); the returned function disposes m now when idle, else
 * when the last run ends, and resolves then.
 */
function track(m: OnnxQuantileModel): () => Promise<void> {
  const run = m.run.bind(m);
  let inFlight = 0;
  let idle: (() => void) | undefined;
  m.run = async (...args) => {
    inFlight++;
    try {
      return await run(...args);
    } finally {
      if (--inFlight === 0) idle?.();
    }
  };
  let disposed: Promise<void> | undefined;
  return () =>
    (disposed ??= (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r))).then(() =>
      m.dispose(),
    ));
}
