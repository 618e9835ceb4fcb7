import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OnnxQuantileModel } from '../../control-plane/forecast/model/onnx-model';
import { buildTrainingSet, sliceSet, TrainingSeries } from '../../models/train/dataset';
import { importQuantileMlp } from '../../models/train/onnx-import';
import { exportQuantileMlp } from '../../models/train/onnx-export';
import { QuantileMlp } from '../../models/train/quantile-mlp';
import { H, pytorchStyleModel, QS, W } from './fixtures';

/** A noisy daily-ish wave at 1-minute steps. */
function wave(n: number, seed: number): Float32Array {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Float32Array.from(
    { length: n },
    (_, i) => 50 + 30 * Math.sin((2 * Math.PI * i) / 240) + 8 * (rnd() - 0.5),
  );
}

describe('training and ONNX export', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-export-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains with tfjs (pinball loss falls) and the ONNX export computes what tfjs computes', async function () {
    this.timeout(120_000);
    const series: TrainingSeries[] = [0, 1, 2].map((k) => ({
      name: `s${k}`,
      values: wave(900, k + 1),
      stepMs: 60_000,
      from: W,
      to: 900,
      stride: 2,
    }));
    const all = buildTrainingSet(series, W, H);
    const train = sliceSet(all, 0, Math.floor(all.n * 0.8));
    const val = sliceSet(all, Math.floor(all.n * 0.8), all.n);
    const mlp = await QuantileMlp.create(
      { inputs: all.features, hidden: [16, 16], horizon: H, quantiles: QS },
      5,
    );
    const before = mlp.evaluate(val);
    const res = await mlp.train(train, val, {
      epochs: 6,
      batchSize: 64,
      learningRate: 3e-3,
      patience: 6,
      seed: 5,
    });
    assert.ok(res.valLoss < before * 0.8, `validation pinball ${before} → ${res.valLoss}`);

    const file = path.join(dir, 'm.onnx');
    fs.writeFileSync(file, exportQuantileMlp(mlp.weights(), W, { name: 'trained' }));
    const model = await OnnxQuantileModel.load(file);
    // Same rows through both: feature rows of the validation set, split into the contract's inputs.
    const n = 50;
    const fb = model.newBatch(n);
    const F = all.features;
    for (let i = 0; i < n; i++) {
      const row = val.x.subarray(i * F, (i + 1) * F);
      let o = 0;
      for (const part of [fb.window, fb.seasonal, fb.calendar, fb.events, fb.context]) {
        const width = part.length / n;
        part.set(row.subarray(o, o + width), i * width);
        o += width;
      }
    }
    const onnxOut = await model.run(fb, n);
    const tfOut = mlp.predict(val.x.subarray(0, n * F), n);
    assert.equal(onnxOut.length, tfOut.length);
    let maxDiff = 0;
    for (let i = 0; i < tfOut.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onnxOut[i] - tfOut[i]));
    assert.ok(maxDiff < 1e-4, `max |onnx - tfjs| = ${maxDiff}`);
    await model.dispose();
    mlp.dispose();
  });

  it('reads back its own weights for fine-tuning, and declines foreign models', async () => {
    const mlp = await QuantileMlp.create({ inputs: 10, hidden: [4], horizon: 3, quantiles: [0.5, 0.9] }, 2);
    const w = mlp.weights();
    const back = importQuantileMlp(exportQuantileMlp(w, 8, { name: 'x' }));
    assert.ok(back);
    assert.deepEqual(back.config, w.config);
    back.layers.forEach((l, i) => {
      assert.deepEqual(Array.from(l.weight), Array.from(w.layers[i].weight));
      assert.deepEqual(Array.from(l.bias), Array.from(w.layers[i].bias));
    });
    assert.equal(importQuantileMlp(pytorchStyleModel()), undefined);
    assert.equal(importQuantileMlp(new Uint8Array([9, 9, 9])), undefined);
    mlp.dispose();
  });
});
