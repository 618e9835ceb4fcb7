/**
 * The ONNX candidate's part of a forecast cycle: build the model's input rows for the users that
 * need it this cycle, run the model, and hand back its output. Split from engine.ts so the cycle
 * reads as its four stages; the engine decides what happens when this throws (its users fall back
 * to baselines for the cycle).
 */
import type { DemandWindows } from '../domain/demand';
import { onnxFeatures, OnnxOutput } from './candidates';
import type { FeatureBatch, RowContext } from './model/features';
import type { OnnxQuantileModel } from './model/onnx-model';
import type { PerUser } from './per-user';

/** The resource feature's code per resource name (-1: unknown, or the feature turned off). */
const RESOURCE_INDEX: Record<string, number> = {
  requests: 0,
  concurrency: 1,
  cpu: 2,
  memory: 3,
  bandwidth: 4,
};

/** Arrays kept across cycles: feature rows and model output are too large to allocate every minute. */
export interface OnnxReuse {
  batch?: OnnxOutput['batch'];
  out?: Float32Array;
}

export async function runOnnxStage(
  model: OnnxQuantileModel,
  w: DemandWindows,
  originMs: number,
  /** Per user: 1 when the model must run for it this cycle. */
  rows: Uint8Array,
  perUser: Pick<PerUser, 'profiles' | 'userEvents'>,
  scale48: Float64Array,
  reuse: OnnxReuse,
  opts: { resourceFeature?: boolean },
  /** Called once the features are built (the engine times that phase apart from the run). */
  onFeatures: () => void,
): Promise<OnnxOutput> {
  const { profiles, userEvents } = perUser;
  const rc: RowContext = {}; // one object, refilled per row: fillRow reads it at once
  const noResource = opts.resourceFeature === false;
  const rowCtx = (u: number, r: number): RowContext => {
    rc.resource = noResource ? -1 : (RESOURCE_INDEX[w.resources[r]] ?? -1);
    rc.mobile = profiles[u]?.context?.device === 'mobile';
    rc.networkQuality = profiles[u]?.context?.networkQuality;
    rc.eventNow = userEvents[u]?.now;
    rc.eventSoon = userEvents[u]?.soon;
    return rc;
  };
  const { batch, rowOf, n } = onnxFeatures(model, w, originMs, rows, rowCtx, reuse.batch, scale48);
  reuse.batch = batch;
  onFeatures();
  const out = n > 0 ? await model.run(batch, n, reuse.out) : new Float32Array(0);
  if (out.buffer !== reuse.out?.buffer) reuse.out = new Float32Array(out.buffer);
  checkFinite(model, out, n, batch);
  return { model, batch, out, rowOf };
}

/**
 * A model that answers NaN or ±Infinity for some rows is failing, whatever its contract says: as
 * numbers those become NaN reservations that refuse the whole plan's publish (+Infinity), or zero
 * reservations (NaN). Thrown, it is reported as the model's error and its users take their
 * baselines this cycle, as for any failed run. One pass over the outputs (~1 ns per value).
 */
function checkFinite(model: OnnxQuantileModel, out: Float32Array, n: number, b: FeatureBatch): void {
  // Values per row, as the model wrote them: horizon × quantiles (out holds n rows of them).
  const per = model.signature.horizon * model.signature.quantiles.length;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < n * per; i++) {
    if (out[i] - out[i] !== 0) {
      bad++;
      if (first < 0) first = Math.floor(i / per);
    }
  }
  for (let r = 0; r < n; r++) {
    if (b.center[r] - b.center[r] !== 0 || b.scale[r] - b.scale[r] !== 0) {
      bad++;
      if (first < 0) first = r;
    }
  }
  if (bad > 0)
    throw new Error(
      `model ${model.file}: ${bad} non-finite values (NaN or Infinity) in its output for ${n} rows, ` +
        `the first in row ${first}; its users take their baselines this cycle`,
    );
}
