/**
 * A model that loads and meets its contract but answers NaN or Infinity for some rows is a failing
 * model: its users take their baselines that cycle and the error is reported. Before, +Infinity
 * reached the allocator as NaN reservations and refused the whole plan's publish; NaN became zero
 * reservations, silently.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESOURCES, type DemandWindows } from '../../../control-plane/domain/demand';
import { createForecastEngine } from '../../../control-plane/forecast/engine';
import { OnnxQuantileModel } from '../../../control-plane/forecast/model/onnx-model';
import { mutate, ourModel } from '../../models/fixtures';
import { tempDir } from '../store/helpers';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5, 8, 0);

function windows(users: number, steps = 60): DemandWindows {
  const R = RESOURCES.length;
  const values = new Float32Array(users * R * steps);
  for (let i = 0; i < values.length; i++) values[i] = 20 + 5 * Math.sin(i * 0.7);
  const names = Array.from({ length: users }, (_, u) => `u${u}`);
  return { users: names, resources: RESOURCES, startMs: START, stepMs: MIN, steps, values };
}

/** Our exporter's model with the last layer's bias set to `poison` for the q0.99 outputs. */
async function poisoned(dir: string, poison: number): Promise<string> {
  const { bytes } = await ourModel(4);
  const file = path.join(dir, `poison-${poison}.onnx`);
  const out = mutate(bytes, (m) => {
    const biases = m.graph!.initializer!.filter((t) => /^b\d+$/.test(t.name!));
    const last = biases.sort((a, b) => a.name!.localeCompare(b.name!)).pop()!;
    const f = new Float32Array(new Uint8Array(last.rawData as Uint8Array).slice().buffer);
    for (let i = 3; i < f.length; i += 4) f[i] = poison;
    last.rawData = new Uint8Array(f.buffer);
  });
  fs.writeFileSync(file, out);
  return file;
}

describe('forecast: a model answering NaN or Infinity', () => {
  for (const poison of [Infinity, NaN])
    it(`${poison} outputs count as the model failing: baselines, finite forecasts, the error reported`, async () => {
      const dir = tempDir('earmark-poison-');
      const errors: string[] = [];
      const engine = await createForecastEngine({
        modelFile: await poisoned(dir, poison),
        onModelError: (e) => errors.push(e.message),
      });
      try {
        for (let cycle = 0; cycle < 3; cycle++) {
          const b = await engine.forecast(windows(3));
          const bad = Array.from(b.values).filter((v) => !Number.isFinite(v)).length;
          assert.equal(bad, 0, `cycle ${cycle}: non-finite values issued`);
          assert.ok(
            Array.from(b.modelOf).every((m) => !b.models[m].startsWith('onnx')),
            'no user is on the failing model',
          );
        }
        assert.equal(errors.length, 3, 'reported every cycle');
        assert.match(errors[0], /non-finite values \(NaN or Infinity\) in its output/);
      } finally {
        await engine.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
});

describe('forecast: the model error clears after a clean run', () => {
  it('a run that fails reports its error; the next clean run clears it', async () => {
    const dir = tempDir('earmark-clean-');
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, (await ourModel(5)).bytes);
    const engine = await createForecastEngine({ modelFile: file, onModelError: () => undefined });
    const model = await OnnxQuantileModel.load(file);
    const run = model.run.bind(model);
    let fail = true;
    model.run = (...args: Parameters<typeof run>) => {
      if (!fail) return run(...args);
      fail = false;
      return Promise.reject(new Error('onnxruntime failed: a transient error'));
    };
    try {
      await engine.setModel(model);
      await engine.forecast(windows(3));
      assert.match(engine.status().modelError ?? '', /a transient error/);
      await engine.forecast(windows(3));
      assert.equal(engine.status().modelError, null, 'the next cycle ran the model cleanly');
    } finally {
      await engine.close();
      await model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
