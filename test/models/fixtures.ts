/** Small ONNX models for tests: our own export, and hand-built graphs in other exporters' styles. */
import { onnx } from 'onnx-proto';
import { featureCount } from '../../models/train/dataset';
import { exportQuantileMlp, valueInfo } from '../../models/train/onnx-export';
import { QuantileMlp } from '../../models/train/quantile-mlp';

export const W = 16;
export const H = 15;
export const QS = [0.5, 0.9, 0.95, 0.99];

/** A conforming model from our exporter (random weights, seeded). */
export async function ourModel(seed = 1, window = W): Promise<{ bytes: Uint8Array; mlp: QuantileMlp }> {
  const mlp = await QuantileMlp.create(
    { inputs: featureCount(window, H), hidden: [8, 8], horizon: H, quantiles: QS },
    seed,
  );
  return { bytes: exportQuantileMlp(mlp.weights(), window, { name: `test-${seed}` }), mlp };
}

/** Decode, change, encode: for building non-conforming variants precisely. */
export function mutate(bytes: Uint8Array, change: (m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  change(m);
  return onnx.ModelProto.encode(m).finish();
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/**
 * A model as torch.onnx.export would write a linear quantile head: MatMul + Add instead of Gemm,
 * a symbolic batch named "N", IR 8 / opset 17, the weights also listed among the graph inputs.
 * Its median is the last window value's offset (0) plus a learned constant, quantiles fixed steps.
 */
export function pytorchStyleModel(window = W): Uint8Array {
  const F = featureCount(window, H);
  const out = H * QS.length;
  const weight = new Float32Array(F * out); // zero weights: output = bias
  const bias = new Float32Array(out);
  for (let h = 0; h < H; h++) QS.forEach((q, i) => (bias[h * QS.length + i] = i * 0.5 + h * 0.01));
  const t = (name: string, dims: number[], data: Float32Array): onnx.ITensorProto => ({
    name,
    dims,
    dataType: FLOAT,
    floatData: Array.from(data),
  });
  const i64 = (name: string, data: number[]): onnx.ITensorProto => ({
    name,
    dims: [data.length],
    dataType: onnx.TensorProto.DataType.INT64,
    int64Data: data,
  });
  const names = ['window', 'seasonal', 'calendar', 'events', 'context'];
  const widths = [window, 2 * (H + 1), 4, 2, 10];
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'pytorch',
    producerVersion: '2.3.0',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'main_graph',
      node: [
        {
          opType: 'Concat',
          input: names,
          output: ['/Concat_output_0'],
          attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
        { opType: 'MatMul', input: ['/Concat_output_0', 'head.weight'], output: ['/MatMul_output_0'] },
        { opType: 'Add', input: ['/MatMul_output_0', 'head.bias'], output: ['/Add_output_0'] },
        { opType: 'Reshape', input: ['/Add_output_0', 'shape'], output: ['quantiles'] },
      ],
      initializer: [
        t('head.weight', [F, out], weight),
        t('head.bias', [out], bias),
        i64('shape', [-1, H, QS.length]),
      ],
      input: [
        ...names.map((n, i) => valueInfo(n, ['N', widths[i]])),
        valueInfo('head.weight', [F, out]),
        valueInfo('head.bias', [out]),
      ],
      output: [valueInfo('quantiles', ['N', H, QS.length])],
    },
    metadataProps: [
      { key: 'earmark.contract', value: '1' },
      { key: 'earmark.quantiles', value: QS.join(',') },
      { key: 'earmark.name', value: 'torch-linear' },
    ],
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
