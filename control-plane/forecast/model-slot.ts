/**
 * The engine's ONNX model: which one is loaded, from which file, whether the engine owns it (and
 * so disposes it), and the last load or run error. A failed swap keeps the last good model: the
 * retrainer may publish a broken file, and that must never leave the fleet on baselines alone.
 */
import { OnnxQuantileModel } from './model/onnx-model';

export class ModelSlot {
  model: OnnxQuantileModel | null = null;
  file: string | null = null;
  error: string | null = null;
  /** Whether the slot loaded the model (and so disposes it); a model passed in stays the caller's. */
  private owned = false;

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
    if (this.model && this.model !== m && this.owned) await this.model.dispose();
    this.model = m;
    this.owned = owned;
    this.file = m?.file ?? null;
    this.error = null;
    return true;
  }

  async close(): Promise<void> {
    if (this.model && this.owned) await this.model.dispose();
    this.model = null;
  }
}
