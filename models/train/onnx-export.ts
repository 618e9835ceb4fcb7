/**
 * Writes a trained QuantileMlp as an ONNX graph (onnx-proto), meeting the model contract:
 * Concat(inputs) → [Gemm → Relu]* → Gemm → Reshape [N, H, Q].
 */
import { onnx } from 'onnx-proto';
import {
  CONTRACT_VERSION,
  INPUT_NAMES,
  META_CONTRACT,
  META_NAME,
  META_QUANTILES,
  OUTPUT_NAME,
  expectedInputShapes,
} from '../../control-plane/forecast/model/contract';
import type { MlpWeights } from './quantile-mlp';

export const EXPORT_OPSET = 13;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  };
}

function int64Tensor(name: string, dims: number[], data: number[]): onnx.ITensorProto {
  const a = BigInt64Array.from(data.map((v) => BigInt(v)));
  return { name, dims, dataType: INT64, rawData: new Uint8Array(a.buffer) };
}

export function valueInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: onnx.IAttributeProto[] = [],
): onnx.INodeProto {
  return { opType, input, output, name: `${opType}_${output[0]}`, attribute };
}

const intAttr = (name: string, i: number): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});

export interface ExportMetadata {
  name: string;
  /** Extra metadata_props (training data, figures, version). */
  extra?: Record<string, string>;
}

export function exportQuantileMlp(wts: MlpWeights, window: number, meta: ExportMetadata): Uint8Array {
  const { horizon: H, quantiles } = wts.config;
  const Q = quantiles.length;
  const shapes = expectedInputShapes(window, H);
  const inputs = INPUT_NAMES.map((n) => valueInfo(n, ['batch', shapes[n][1]]));
  const inits: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [node('Concat', [...INPUT_NAMES], ['x'], [intAttr('axis', 1)])];
  let h = 'x';
  wts.layers.forEach((l, i) => {
    inits.push(
      floatTensor(`w${i}`, [l.inputs, l.outputs], l.weight),
      floatTensor(`b${i}`, [l.outputs], l.bias),
    );
    const last = i === wts.layers.length - 1;
    const out = last ? 'flat' : `g${i}`;
    nodes.push(node('Gemm', [h, `w${i}`, `b${i}`], [out]));
    if (!last) nodes.push(node('Relu', [out], [`h${i}`]));
    h = last ? out : `h${i}`;
  });
  inits.push(int64Tensor('shape', [3], [-1, H, Q]));
  nodes.push(node('Reshape', ['flat', 'shape'], [OUTPUT_NAME]));
  const model: onnx.IModelProto = {
    irVersion: 7,
    producerName: 'earmark models/train',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    graph: {
      name: meta.name,
      node: nodes,
      initializer: inits,
      input: inputs,
      output: [valueInfo(OUTPUT_NAME, ['batch', H, Q])],
    },
    metadataProps: Object.entries({
      [META_CONTRACT]: String(CONTRACT_VERSION),
      [META_QUANTILES]: quantiles.join(','),
      [META_NAME]: meta.name,
      ...meta.extra,
    }).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
