import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { fillRow } from '../../control-plane/forecast/model/features';
import { OnnxQuantileModel } from '../../control-plane/forecast/model/onnx-model';
import { ModelLoadError, readSignature } from '../../control-plane/forecast/model/signature';
import { H, mutate, ourModel, pytorchStyleModel, QS, W } from './fixtures';

function rejected(bytes: Uint8Array): string[] {
  try {
    readSignature(bytes, 'm.onnx');
  } catch (err) {
    assert.ok(err instanceof ModelLoadError, String(err));
    assert.equal(err.file, 'm.onnx');
    return err.problems;
  }
  assert.fail('the model was accepted');
}

describe('model contract', () => {
  let dir: string;
  let good: Uint8Array;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-contract-'));
    good = (await ourModel(3)).bytes;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('accepts a conforming model and reads its signature', () => {
    const sig = readSignature(good, 'm.onnx');
    assert.deepEqual([sig.window, sig.horizon, sig.quantiles, sig.opset], [W, H, QS, 13]);
    assert.equal(sig.name, 'test-3');
  });

  it('loads and runs a model written in PyTorch exporter style (MatMul, opset 17, weights listed as inputs)', async () => {
    const file = path.join(dir, 'torch.onnx');
    fs.writeFileSync(file, pytorchStyleModel());
    const m = await OnnxQuantileModel.load(file);
    assert.equal(m.name, 'torch-linear');
    assert.equal(m.signature.opset, 17);
    const fb = m.newBatch(2);
    const hist = Float32Array.from({ length: 40 }, (_, i) => 10 + (i % 3));
    for (let i = 0; i < 2; i++) fillRow(fb, i, hist, 0, hist.length, 0, 60_000);
    const out = await m.run(fb, 2);
    assert.equal(out.length, 2 * H * QS.length);
    // Zero weights: the output is the bias, step h level q = q * 0.5 + h * 0.01.
    assert.ok(Math.abs(out[(1 * H + 2) * QS.length + 3] - (1.5 + 0.02)) < 1e-6);
    await m.dispose();
  });

  const cases: [string, (m: onnx.ModelProto) => void, RegExp][] = [
    [
      'a renamed input',
      (m) => (m.graph!.input![0].name = 'history'),
      /unexpected input "history".*missing input "window"/s,
    ],
    [
      'a double input',
      (m) => (m.graph!.input![2].type!.tensorType!.elemType = onnx.TensorProto.DataType.DOUBLE),
      /input "calendar" has dtype DOUBLE, expected FLOAT/,
    ],
    [
      'a wrong width',
      (m) => (m.graph!.input![4].type!.tensorType!.shape!.dim![1].dimValue = 7),
      /input "context" has shape \[batch, 7\], expected \[batch, 10\]/,
    ],
    [
      'a 3-d window',
      (m) => m.graph!.input![0].type!.tensorType!.shape!.dim!.push({ dimValue: 1 }),
      /input "window" has shape \[batch, 16, 1\]/,
    ],
    [
      'no contract metadata',
      (m) => (m.metadataProps = m.metadataProps.filter((p) => p.key !== 'earmark.contract')),
      /metadata "earmark.contract" is missing/,
    ],
    [
      'another contract version',
      (m) => (m.metadataProps.find((p) => p.key === 'earmark.contract')!.value = '2'),
      /"earmark.contract" = "2", this engine runs contract "1"/,
    ],
    [
      'descending quantiles',
      (m) => (m.metadataProps.find((p) => p.key === 'earmark.quantiles')!.value = '0.5,0.99,0.9,0.95'),
      /levels must be strictly ascending/,
    ],
    [
      'no median',
      (m) => (m.metadataProps.find((p) => p.key === 'earmark.quantiles')!.value = '0.9,0.95,0.99,0.999'),
      /must include 0.5/,
    ],
    ['an old opset', (m) => (m.opsetImport[0].version = 9), /opset 9 is outside the supported range 11..21/],
    [
      'a custom operator domain',
      (m) => m.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 })),
      /operator domain "com.microsoft" is not supported/,
    ],
    [
      'a renamed output',
      (m) => (m.graph!.output![0].name = 'y'),
      /no output named "quantiles" \(outputs: y\)/,
    ],
    [
      'an output of the wrong quantile count',
      (m) => (m.graph!.output![0].type!.tensorType!.shape!.dim![2].dimValue = 3),
      /output "quantiles" has shape \[batch, 15, 3\], expected \[batch, horizon, 4\]/,
    ],
  ];
  for (const [what, change, message] of cases)
    it(`rejects ${what} with a precise message`, () => {
      const problems = rejected(mutate(good, change));
      assert.match(problems.join('; '), message);
    });

  it('rejects bytes that are not ONNX', () => {
    assert.match(rejected(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))[0], /not an ONNX model/);
    assert.match(rejected(new Uint8Array(0))[0], /not an ONNX model \(no graph\)/);
  });
});
