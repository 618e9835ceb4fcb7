import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DemandWindows, forecastIndex, RESOURCES } from '../../../control-plane/domain/demand';
import type { DemandEvent } from '../../../control-plane/domain/event';
import { createForecastEngine } from '../../../control-plane/forecast/engine';
import { mutate, ourModel } from '../../models/fixtures';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5, 8, 0);

/** Deterministic noise in [-1, 1). */
function noise(seed: number, i: number): number {
  const x = Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/** Per user, per resource, the value at minute t. */
type Gen = (u: number, r: number, t: number) => number;

function windowAt(users: string[], gen: Gen, end: number, steps = 60): DemandWindows {
  const R = RESOURCES.length;
  const values = new Float32Array(users.length * R * steps);
  for (let u = 0; u < users.length; u++)
    for (let r = 0; r < R; r++)
      for (let k = 0; k < steps; k++) values[(u * R + r) * steps + k] = gen(u, r, end - steps + k);
  return { users, resources: RESOURCES, startMs: START + (end - steps) * MIN, stepMs: MIN, steps, values };
}

describe('forecast engine', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-engine-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('forecasts every user and resource: 15 steps, ordered quantiles, never negative', async () => {
    const engine = await createForecastEngine({ modelFile: null });
    const gen: Gen = (u, r, t) => Math.max(0, 20 + 10 * u + 5 * noise(u * 7 + r, t));
    const b = await engine.forecast(windowAt(['a', 'b', 'c'], gen, 100));
    assert.equal(b.horizon, 15);
    assert.deepEqual(b.quantiles, [0.5, 0.9, 0.95, 0.99]);
    assert.equal(b.issuedAtMs, START + 100 * MIN);
    assert.equal(b.values.length, 3 * 5 * 4 * 15);
    for (let u = 0; u < 3; u++)
      for (let r = 0; r < 5; r++)
        for (let h = 0; h < 15; h++)
          for (let q = 0; q < 4; q++) {
            const v = b.values[forecastIndex(b, u, r, q, h)];
            assert.ok(Number.isFinite(v) && v >= 0);
            if (q > 0) assert.ok(v >= b.values[forecastIndex(b, u, r, q - 1, h)]);
          }
    for (const m of b.modelOf) assert.ok(m < b.models.length);
    // Each user's median is near their level.
    assert.ok(Math.abs(b.values[forecastIndex(b, 2, 0, 0, 4)] - 40) < 6);
    await engine.close();
  });

  it('learns per user which model costs least, and its q0.95 covers about 95 %', async () => {
    // "steady": noise around a constant (smoothing wins); "ramp": a steady climb (the last value wins).
    const users = ['steady', 'ramp'];
    const gen: Gen = (u, r, t) => (u === 0 ? 100 + 10 * noise(r + 1, t) : 5 * t + 0.5 * noise(r + 9, t));
    const engine = await createForecastEngine({ modelFile: null, scoringLead: 5, exploreGroups: 1 });
    let covered = 0;
    let scored = 0;
    const err = [0, 0];
    const naiveErr = [0, 0];
    const meanErr = [0, 0];
    for (let end = 60; end < 560; end++) {
      const b = await engine.forecast(windowAt(users, gen, end));
      if (end < 200) continue;
      for (let u = 0; u < 2; u++) {
        const target = gen(u, 0, end + 4); // lead 5
        err[u] += Math.abs(b.values[forecastIndex(b, u, 0, 0, 4)] - target);
        naiveErr[u] += Math.abs(gen(u, 0, end - 1) - target);
        let m = 0;
        for (let k = 1; k <= 12; k++) m += gen(u, 0, end - k);
        meanErr[u] += Math.abs(m / 12 - target);
        if (u === 0) {
          scored++;
          if (target <= b.values[forecastIndex(b, u, 0, 2, 4)]) covered++;
        }
      }
    }
    assert.ok(err[0] < 0.85 * naiveErr[0], `steady: engine ${err[0]} vs naive ${naiveErr[0]}`);
    assert.ok(err[1] < 0.6 * meanErr[1], `ramp: engine ${err[1]} vs 12-step mean ${meanErr[1]}`);
    const coverage = covered / scored;
    assert.ok(coverage > 0.9 && coverage < 0.99, `coverage ${coverage}`);
    await engine.close();
  });

  it('applies planned events to the steps they cover, for the users they affect', async () => {
    const gen: Gen = () => 50;
    const w = windowAt(['in', 'out'], gen, 100);
    const origin = w.startMs + w.steps * MIN;
    const event: DemandEvent = {
      id: 'e',
      name: 'sale',
      startMs: origin + 5 * MIN,
      endMs: origin + 10 * MIN,
      users: ['in'],
      multiplier: 3,
      updatedAtMs: 0,
    };
    const plain = await (await createForecastEngine({ modelFile: null })).forecast(w);
    const withEvent = await (
      await createForecastEngine({ modelFile: null })
    ).forecast(w, { events: [event] });
    for (let h = 0; h < 15; h++) {
      const inside = h >= 5 && h < 10;
      const a = plain.values[forecastIndex(plain, 0, 0, 0, h)];
      assert.ok(
        Math.abs(withEvent.values[forecastIndex(withEvent, 0, 0, 0, h)] - (inside ? 3 * a : a)) < 1e-3,
        `step ${h}`,
      );
      assert.equal(
        withEvent.values[forecastIndex(withEvent, 1, 0, 0, h)],
        plain.values[forecastIndex(plain, 1, 0, 0, h)],
      );
    }
  });

  it('a missing model file: clear error, forecasts from the baselines', async () => {
    const errors: string[] = [];
    const file = path.join(dir, 'nope.onnx');
    const engine = await createForecastEngine({
      modelFile: file,
      onModelError: (e) => errors.push(e.message),
    });
    assert.deepEqual(errors, [`model ${file} rejected: file not found`]);
    assert.equal(engine.status().model, null);
    assert.match(engine.status().modelError!, /file not found/);
    const b = await engine.forecast(windowAt(['a'], () => 10, 100));
    assert.ok(b.values.every((v) => Number.isFinite(v)));
    assert.notEqual(b.models[b.modelOf[0]], b.models[b.models.length - 1], 'not the (absent) model');
  });

  it('a corrupt model file: clear error, forecasts from the baselines', async () => {
    const errors: string[] = [];
    const file = path.join(dir, 'corrupt.onnx');
    const { bytes } = await ourModel(2);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1)); // truncated mid-weights
    const engine = await createForecastEngine({
      modelFile: file,
      onModelError: (e) => errors.push(e.message),
    });
    assert.equal(errors.length, 1);
    assert.match(errors[0], new RegExp(`model ${file} rejected: not an ONNX model`));
    const b = await engine.forecast(windowAt(['a'], () => 10, 100));
    assert.ok(b.values.every((v) => Number.isFinite(v)));
  });

  it('a model that fails while running: its users fall back to baselines that cycle; a bad swap keeps the good model', async () => {
    const good = path.join(dir, 'good.onnx');
    const bad = path.join(dir, 'bad-at-run-time.onnx');
    const { bytes } = await ourModel(4, 48);
    fs.writeFileSync(good, bytes);
    // Declares [batch, 15, 4] but reshapes 60 outputs to [-1, 7, 4]: only onnxruntime finds out.
    fs.writeFileSync(
      bad,
      mutate(bytes, (m) => {
        const shape = m.graph!.initializer!.find((t) => t.name === 'shape')!;
        shape.rawData = new Uint8Array(BigInt64Array.from([-1n, 7n, 4n]).buffer);
      }),
    );
    const errors: string[] = [];
    const engine = await createForecastEngine({
      modelFile: bad,
      onModelError: (e) => errors.push(e.message),
    });
    assert.equal(engine.status().model, 'test-4', 'it loads: the contract is met on paper');
    const b = await engine.forecast(windowAt(['a', 'b'], (u, r, t) => 10 + noise(u + r, t), 100));
    assert.equal(errors.length, 1);
    assert.ok(b.values.every((v) => Number.isFinite(v)));
    assert.ok(Array.from(b.modelOf).every((m) => b.models[m] !== 'onnx:test-4'));

    await engine.setModel(good);
    assert.equal(engine.status().modelFile, good);
    await engine.setModel(path.join(dir, 'missing.onnx'));
    assert.equal(engine.status().modelFile, good, 'the last good model stays');
    assert.match(engine.status().modelError!, /missing.onnx rejected: file not found/);
    const c = await engine.forecast(windowAt(['c', 'd'], (u, r, t) => 10 + noise(u + r, t), 101));
    assert.equal(c.models[c.modelOf[0]], 'onnx:test-4', 'new users start on the model');
    await engine.close();
  });

  it('gives P(requests active) per step for sparse users (NaN for the others), whatever model they use', async () => {
    // "timer": requests every 10 minutes, last at minute 95 (so due at 105); "busy": never idle.
    const gen: Gen = (u, r, t) => (u === 0 ? (t % 10 === 5 ? 3 + r : 0) : 20 + noise(r, t));
    const engine = await createForecastEngine({ modelFile: null });
    let b = await engine.forecast(windowAt(['timer', 'busy'], gen, 60));
    for (let end = 61; end <= 100; end++) b = await engine.forecast(windowAt(['timer', 'busy'], gen, end));
    const H = b.horizon;
    assert.ok(b.activity && b.activity.length === 2 * H);
    const p = Array.from(b.activity.subarray(0, H));
    // Forecast steps h cover minutes 100 + h: the timer is due at h = 5, and not at h = 1..3.
    assert.ok(p[5] > 0.6, `due step: ${p[5]}`);
    for (const h of [1, 2, 3]) assert.ok(p[h] < 0.2, `step ${h}: ${p[h]}`);
    assert.ok(Array.from(b.activity.subarray(H)).every(Number.isNaN), 'a busy user is not sparse');
    await engine.close();
    const off = await createForecastEngine({ modelFile: null, activity: false });
    assert.equal((await off.forecast(windowAt(['timer'], gen, 60))).activity, undefined);
    await off.close();
  });

  it('rejects windows whose values do not match their shape', async () => {
    const engine = await createForecastEngine({ modelFile: null });
    const w = windowAt(['a'], () => 1, 100);
    await assert.rejects(
      engine.forecast({ ...w, steps: 59 }),
      /expected 5 series × 59 steps = 295 values, got 300/,
    );
  });
});

let previous: ArrayBufferLike | undefined;

describe('sharded forecast engine (worker threads)', function () {
  this.timeout(120_000);

  it('forecasts exactly what one engine forecasts, users split across threads by id', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
    // Every fourth user is sparse (active every 7 minutes): the intermittent method runs for them.
    const gen: Gen = (u, r, t) =>
      u % 4 === 1
        ? t % 7 === 0
          ? 4 + r
          : 0
        : Math.max(0, 30 + 3 * u + 8 * noise(u * 5 + r, t) + (u % 3 === 0 ? 0.4 * t : 0));
    const one = await createForecastEngine({ modelFile: null, exploreGroups: 1 });
    const two = await createForecastEngine({ modelFile: null, exploreGroups: 1, threads: 2 });
    for (let end = 60; end < 75; end++) {
      const w = windowAt(users, gen, end);
      const a = await one.forecast(w, { reservationQuantile: (u) => (u.endsWith('1') ? 0.99 : undefined) });
      const b = await two.forecast(w, { reservationQuantile: (u) => (u.endsWith('1') ? 0.99 : undefined) });
      assert.deepEqual(Array.from(b.values), Array.from(a.values), `cycle ending ${end}`);
      assert.deepEqual(Array.from(b.modelOf), Array.from(a.modelOf));
      assert.deepEqual(b.models, a.models);
      assert.ok(a.activity && b.activity);
      assert.deepEqual(Array.from(b.activity), Array.from(a.activity));
    }
    assert.equal(two.status().users, 12);
    await one.close();
    await two.close();
  });

  it('a recycled batch is written again: the same forecasts as fresh arrays, in one thread or two', async () => {
    const users = Array.from({ length: 9 }, (_, i) => `u${i}`);
    const gen: Gen = (u, r, t) => (u % 3 === 0 ? (t % 5 === 0 ? 2 + r : 0) : 10 + u + 3 * noise(u + r, t));
    for (const threads of [0, 2]) {
      const fresh = await createForecastEngine({ modelFile: null, threads });
      const reuse = await createForecastEngine({ modelFile: null, threads });
      let recycled = 0;
      for (let end = 60; end < 66; end++) {
        const w = windowAt(users, gen, end);
        const a = await fresh.forecast(w);
        const b = await reuse.forecast(w);
        assert.deepEqual(
          Array.from(b.values),
          Array.from(a.values),
          `${threads} threads, cycle ending ${end}`,
        );
        assert.deepEqual(Array.from(b.modelOf), Array.from(a.modelOf));
        assert.deepEqual(Array.from(b.activity!), Array.from(a.activity!));
        if (end > 60) recycled += b.values.buffer === previous ? 1 : 0;
        previous = b.values.buffer;
        reuse.recycle!(b);
        reuse.recycle!(a); // another engine's batch: ignored
      }
      assert.equal(recycled, 5, 'the same memory comes back');
      await fresh.close();
      await reuse.close();
    }
  });

  it('reports a missing model once and forecasts from baselines', async () => {
    const errors: string[] = [];
    const engine = await createForecastEngine({
      modelFile: '/nonexistent/m.onnx',
      threads: 2,
      onModelError: (e) => errors.push(e.message),
    });
    assert.deepEqual(errors, ['model /nonexistent/m.onnx rejected: file not found']);
    const b = await engine.forecast(windowAt(['a', 'b', 'c'], () => 5, 100));
    assert.ok(b.values.every((v) => Number.isFinite(v)));
    await engine.close();
  });
});
