import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createForecastEngine, ForecastEngine } from '../../../control-plane/forecast/engine';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';
import type { RetrainData } from '../../../control-plane/forecast/retrain/job';
import { createRetrainer } from '../../../control-plane/forecast/retrain/retrainer';
import { ourModel } from '../../models/fixtures';

/** Noisy daily-ish waves at 1-minute steps: easy to learn, impossible for an untrained model. */
function waves(series: number, steps: number): RetrainData {
  const values = new Float32Array(series * steps);
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let s = 0; s < series; s++)
    for (let t = 0; t < steps; t++)
      values[s * steps + t] =
        40 + 10 * s + 25 * Math.sin((2 * Math.PI * (t + 17 * s)) / 180) + 6 * (rnd() - 0.5);
  return { series, startMs: Date.UTC(2026, 0, 5), stepMs: 60_000, steps, values };
}

describe('continuous retraining (worker thread, champion/challenger, registry)', function () {
  this.timeout(300_000);
  let dir: string;
  let registry: ModelRegistry;
  let engine: ForecastEngine;
  const data = () => Promise.resolve(waves(6, 700));

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-retrain-'));
    // Version 0: an untrained model (random weights), standing in for the committed default.
    const v0 = path.join(dir, 'v0.onnx');
    fs.writeFileSync(v0, (await ourModel(9)).bytes);
    registry = new ModelRegistry(path.join(dir, 'registry'), v0);
    engine = await createForecastEngine({ modelFile: v0 });
  });
  after(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('promotes a better challenger and swaps it into the engine; the event loop keeps ticking meanwhile', async () => {
    const r = createRetrainer({
      registry,
      engine,
      collect: data,
      training: { epochs: 4, holdoutSteps: 120 },
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = Date.now();
    const o = await r.runOnce();
    const elapsed = Date.now() - t0;
    clearInterval(timer);
    // Training ran for seconds; had it run on this thread the counter would have stood still.
    assert.ok(ticks >= 10 && ticks >= (0.2 * elapsed) / 10, `${ticks} ticks in ${elapsed} ms`);
    assert.equal(o.decision.promote, true, o.decision.reason);
    assert.ok(o.result.challengerLoss < o.result.championLoss);
    assert.equal(o.result.warmStart, true, 'our own champion is fine-tuned, not replaced');
    assert.equal(registry.championVersion, 1);
    assert.equal(registry.get(1).status, 'champion');
    assert.equal(engine.status().modelFile, registry.fileOf(1));
  });

  it('does not promote a worse challenger', async () => {
    // A challenger that cannot learn (learning rate 0, fresh random weights) against the trained champion.
    const r = createRetrainer({
      registry,
      engine,
      collect: data,
      training: { epochs: 1, holdoutSteps: 120, fromScratch: true, learningRate: 0 },
    });
    const o = await r.runOnce();
    assert.equal(o.decision.promote, false, o.decision.reason);
    assert.ok(o.result.challengerLoss > o.result.championLoss);
    assert.equal(registry.championVersion, 1);
    assert.equal(registry.get(2).status, 'rejected');
    assert.equal(engine.status().modelFile, registry.fileOf(1));
  });

  it('rolls back to the previous champion, in the registry and the engine', async () => {
    const r = createRetrainer({ registry, engine, collect: data });
    const v = await r.rollback('test');
    assert.equal(v.version, 0);
    assert.equal(registry.championVersion, 0);
    assert.equal(engine.status().modelFile, registry.fileOf(0));
    assert.deepEqual(
      registry.history().map((e) => e.action),
      ['promote', 'reject', 'rollback'],
    );
  });

  it('a failing round is an error, and changes nothing', async () => {
    const r = createRetrainer({ registry, engine, collect: () => Promise.resolve(waves(2, 40)) });
    await assert.rejects(r.runOnce(), /retraining failed: retrain: 40 steps leave too little history/);
    assert.equal(registry.championVersion, 0);
    assert.equal(registry.list().length, 3);
  });
});
