/**
 * Reads back the weights of a model this project exported (onnx-export.ts), so retraining can
 * fine-tune the champion instead of starting over. Models from elsewhere return undefined.
 */
import { onnx } from 'onnx-proto';
import { META_QUANTILES } from '../../control-plane/forecast/model/contract';
import type { DenseLayer, MlpWeights } from './quantile-mlp';

function floats(t: onnx.ITensorProto): Float32Array | undefined {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) return undefined;
  if (t.rawData && t.rawData.length) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return t.floatData ? Float32Array.from(t.floatData) : undefined;
}

export function importQuantileMlp(bytes: Uint8Array): MlpWeights | undefined {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const g = model.graph;
  if (!g) return undefined;
  const init = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const layers: DenseLayer[] = [];
  for (let i = 0; init.has(`w${i}`) && init.has(`b${i}`); i++) {
    const w = init.get(`w${i}`)!;
    const b = init.get(`b${i}`)!;
    const wd = floats(w);
    const bd = floats(b);
    const dims = (w.dims ?? []).map(Number);
    if (!wd || !bd || dims.length !== 2 || wd.length !== dims[0] * dims[1] || bd.length !== dims[1])
      return undefined;
    layers.push({ inputs: dims[0], outputs: dims[1], weight: wd, bias: bd });
  }
  const quantiles = (model.metadataProps ?? [])
    .find((p) => p.key === META_QUANTILES)
    ?.value?.split(',')
    .map(Number);
  const out = g.output?.[0]?.type?.tensorType?.shape?.dim;
  const horizon = out && out.length === 3 ? Number(out[1].dimValue ?? 0) : 0;
  if (layers.length < 2 || !quantiles || !quantiles.includes(0.5) || !(horizon > 0)) return undefined;
  if (layers[layers.length - 1].outputs !== horizon * quantiles.length) return undefined;
  return {
    config: {
      inputs: layers[0].inputs,
      hidden: layers.slice(0, -1).map((l) => l.outputs),
      horizon,
      quantiles,
    },
    layers,
  };
}
