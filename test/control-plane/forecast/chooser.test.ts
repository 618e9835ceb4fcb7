import { strict as assert } from 'node:assert';
import { DEFAULT_CALIBRATION, updateFactor } from '../../../control-plane/forecast/calibration';
import {
  choose,
  DEFAULT_CHOOSER,
  lowestCost,
  pinball,
  reserveCost,
} from '../../../control-plane/forecast/chooser';

describe('per-user model choice', () => {
  const o = { ...DEFAULT_CHOOSER, switchPenalty: 0.1 };
  const M = 3;

  it('picks the lowest mean cost, keeps the current model within the switching penalty', () => {
    // user 0: model 2 clearly cheaper; user 1: model 2 cheaper by 5 % only (< penalty)
    const cost = Float64Array.from([10, 8, 5, 10, 10, 9.5]);
    const evidence = new Float64Array(6).fill(1);
    const current = Uint16Array.from([0, 0]);
    choose(o, cost, evidence, M, current, Int32Array.from([0, 1]), Uint8Array.from([1, 1, 1]), 0);
    assert.deepEqual([...current], [2, 0]);
  });

  it('compares mean costs, so a model scored less often is not flattered, and ignores unscored or unusable ones', () => {
    const cost = Float64Array.from([9, 2, 0]);
    const evidence = Float64Array.from([10, 1, 0]); // means 0.9, 2, none
    const current = Uint16Array.from([0xffff]);
    choose(o, cost, evidence, M, current, Int32Array.from([0]), Uint8Array.from([1, 1, 1]), 1);
    assert.equal(current[0], 0);
    choose(o, cost, evidence, M, current, Int32Array.from([0]), Uint8Array.from([0, 1, 1]), 1);
    assert.equal(current[0], 1, 'the current model cannot run: switch');
    const fresh = Uint16Array.from([0xffff]);
    choose(
      o,
      new Float64Array(3),
      new Float64Array(3),
      M,
      fresh,
      Int32Array.from([0]),
      Uint8Array.from([1, 1, 1]),
      2,
    );
    assert.equal(fresh[0], 2, 'no evidence: the preferred model');
  });

  it('lists the k cheapest eligible models, keeping the current one', () => {
    const out = new Int16Array(4);
    lowestCost(
      Float64Array.from([3, 1, 2]),
      new Float64Array(3).fill(1),
      3,
      0,
      Uint8Array.from([1, 1, 1]),
      2,
      1,
      out,
      1,
    );
    assert.deepEqual([...out], [0, 1, 2, 0]);
    lowestCost(
      Float64Array.from([3, 1, 2]),
      new Float64Array(3).fill(1),
      3,
      0,
      Uint8Array.from([1, 1, 1]),
      2,
      0,
      out,
      0,
    );
    assert.deepEqual([...out.subarray(0, 2)], [1, 0], 'the current model replaces the last of the cheapest');
  });

  it('costs: pinball at the reservation level plus under-reservation, in noise scales', () => {
    assert.equal(pinball(10, 8, 0.95), 0.95 * 2);
    assert.ok(Math.abs(pinball(8, 10, 0.95) - 0.05 * 2) < 1e-12);
    assert.ok(Math.abs(reserveCost({ ...o, underWeight: 0.5 }, 10, 8, 0.95, 2) - (1.9 + 1) / 2) < 1e-12);
    assert.ok(Math.abs(reserveCost({ ...o, underWeight: 0.5 }, 8, 10, 0.95, 2) - 0.05) < 1e-12);
  });
});

describe('quantile calibration', () => {
  it('drives the miss rate to 1 - τ whatever the starting spread', () => {
    // y ~ uniform(-1, 1); the raw q0.95 claims 0.2 (far too narrow), then 5 (far too wide).
    for (const raw of [0.2, 5]) {
      let k = 1;
      let misses = 0;
      let n = 0;
      let seed = 7;
      for (let t = 0; t < 40000; t++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const y = (2 * seed) / 2147483648 - 1;
        const q = raw * k;
        if (t >= 20000) {
          n++;
          if (y > q) misses++;
        }
        k = updateFactor(DEFAULT_CALIBRATION, k, 0.95, y, q);
      }
      assert.ok(Math.abs(misses / n - 0.05) < 0.01, `raw ${raw}: miss rate ${misses / n}`);
      assert.ok(Math.abs(raw * k - 0.9) < 0.1, `raw ${raw}: calibrated q0.95 ${raw * k}`);
    }
  });
});
