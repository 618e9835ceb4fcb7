/** A rollback made (by the CLI) while a retraining round trains wins over that round's challenger. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';
import type { RetrainData } from '../../../control-plane/forecast/retrain/job';
import { createRetrainer } from '../../../control-plane/forecast/retrain/retrainer';
import { ourModel } from '../../models/fixtures';

/** Waves an untrained model cannot follow and a few epochs learn (a challenger that wins). */
function waves(series: number, steps: number): RetrainData {
  const values = new Float32Array(series * steps);
  for (let s = 0; s < series; s++)
    for (let t = 0; t < steps; t++)
      values[s * steps + t] = 40 + 10 * s + 25 * Math.sin((2 * Math.PI * (t + 17 * s)) / 180);
  return { series, startMs: Date.UTC(2026, 0, 5), stepMs: 60_000, steps, values };
}

describe('retrainer: a rollback during the round', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-retrain-rollback-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the challenger is not promoted over the rollback', async () => {
    const v0 = path.join(dir, 'v0.onnx');
    const bytes = (await ourModel(9)).bytes;
    fs.writeFileSync(v0, bytes);
    const regDir = path.join(dir, 'registry');
    const registry = new ModelRegistry(regDir, v0);
    registry.promote(registry.addCandidate(bytes, {}).version, 'seed'); // champion v1
    const r = createRetrainer({
      registry,
      collect: async () => {
        new ModelRegistry(regDir, v0).rollback('earmark models rollback'); // the CLI, mid-round
        return waves(6, 700);
      },
      training: { epochs: 4, holdoutSteps: 120 },
    });
    const o = await r.runOnce();
    assert.ok(o.result.challengerLoss < o.result.championLoss, 'the challenger did beat v1');
    assert.equal(o.decision.promote, false);
    assert.match(o.decision.reason, /champion changed during the round \(v1 → v0\)/);
    assert.equal(o.champion, 0);
    assert.equal(new ModelRegistry(regDir, v0).championVersion, 0);
    assert.equal(registry.get(o.candidate.version).status, 'rejected');
  });
});
