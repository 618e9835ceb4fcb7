import { strict as assert } from 'node:assert';
import { RESOURCES } from '../../../control-plane/domain/demand';
import { defaultBaselines } from '../../../control-plane/forecast/baselines';
import { noiseScale } from '../../../control-plane/forecast/model/features';
import { CandidateRunner } from '../../../control-plane/forecast/runner';

describe('forecast candidate runner', () => {
  it("computes each series' noise scale exactly as the model features do (fillRow reuses it)", () => {
    for (const steps of [1, 2, 30, 48, 60, 200]) {
      const users = ['a', 'b', 'c'];
      const S = users.length * RESOURCES.length;
      const values = Float32Array.from({ length: S * steps }, (_, i) =>
        i % 11 === 0 ? 0 : Math.sin(i * 1.7) * (i % 3 === 0 ? 1e6 : 3) - (i % 29 === 0 ? 5 : 0),
      );
      const w = { users, resources: RESOURCES, startMs: 0, stepMs: 60_000, steps, values };
      const run = new CandidateRunner(defaultBaselines(), w, steps * 60_000);
      for (let i = 0; i < S; i++)
        assert.equal(
          run.scale[i],
          noiseScale(values, i * steps, (i + 1) * steps, 48),
          `${steps} steps, series ${i}`,
        );
    }
  });
});
