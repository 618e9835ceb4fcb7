/** Stopping the service during a retraining round: the worker ends, nothing is promoted or swapped. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCES, type DemandWindows } from '../../../control-plane/domain/demand';
import type { Logger } from '../../../control-plane/domain/logger';
import { createForecastEngine, type ForecastEngine } from '../../../control-plane/forecast/engine';
import type { RetrainingSchedule } from '../../../control-plane/service/retraining';
import { ourModel } from '../../models/fixtures';
import { hourlySchedule, recordSwaps, RETRAIN_START_MS } from './retraining-support';

const STEP = 60_000;

/** Waves an untrained model cannot follow: a finished round would record (and promote) a challenger. */
function windows(users: number, steps: number, startMs: number): DemandWindows {
  const R = RESOURCES.length;
  const values = new Float32Array(users * R * steps);
  for (let s = 0; s < users * R; s++)
    for (let t = 0; t < steps; t++)
      values[s * steps + t] = 40 + 10 * (s % 7) + 25 * Math.sin((2 * Math.PI * (t + 17 * s)) / 180);
  const ids = Array.from({ length: users }, (_, u) => `u${u}`);
  return { users: ids, resources: RESOURCES, startMs, stepMs: STEP, steps, values };
}

describe('service retraining: stop during a round', function () {
  this.timeout(300_000);
  let dir: string;
  let engine: ForecastEngine;
  let swaps: string[];
  let logs: string[];
  const logger: Logger = {
    debug: () => {},
    info: (m) => logs.push(m),
    warn: (m) => logs.push(m),
    error: (m) => logs.push(m),
  };
  async function schedule(): Promise<{ s: RetrainingSchedule; regDir: string }> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-retraining-stop-'));
    const v0 = path.join(dir, 'v0.onnx');
    fs.writeFileSync(v0, (await ourModel(9)).bytes);
    engine = await createForecastEngine({ modelFile: v0 });
    logs = [];
    swaps = recordSwaps(engine);
    const regDir = path.join(dir, 'registry');
    const steps = 700;
    const s = hourlySchedule({
      engine,
      registryDir: regDir,
      defaultModelFile: v0,
      store: { readDemandWindows: (q) => Promise.resolve(windows(2, steps, q.toMs - steps * STEP)) },
      steps,
      logger,
    });
    return { s, regDir };
  }
  afterEach(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('control: the same round, not stopped, records a challenger', async () => {
    const { s, regDir } = await schedule();
    const out = await s.runOnce();
    assert.ok(out, logs.join('\n'));
    assert.ok(fs.existsSync(path.join(regDir, 'v1', 'meta.json')));
  });

  it('stop() ends the round in progress and resolves after it: no candidate, no swap', async () => {
    const { s, regDir } = await schedule();
    const round = s.runOnce();
    await new Promise((r) => setTimeout(r, 500)); // the worker is starting or training
    assert.equal(s.status().running, true);
    await s.stop();
    assert.equal(s.status().running, false, 'stop() resolves only once the round is over');
    assert.equal(await round, undefined);
    assert.deepEqual(s.status().last && 'error' in s.status().last! && s.status().last, {
      atMs: RETRAIN_START_MS,
      error: 'retraining stopped',
    });
    // Had the round gone on, it would have written v1 and swapped within seconds.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(fs.existsSync(path.join(regDir, 'v1')), false);
    assert.deepEqual(swaps, []);
    assert.ok(logs.includes('retraining stopped; nothing recorded'), logs.join('\n'));
  });
});
