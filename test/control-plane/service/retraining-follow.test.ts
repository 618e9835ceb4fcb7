/**
 * A rollback made with the CLI while the service runs reaches the engine within followMs (60 s),
 * not only before the next retraining round (6 h by default).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimClock } from '../../../control-plane/domain/clock';
import type { Logger } from '../../../control-plane/domain/logger';
import { createForecastEngine } from '../../../control-plane/forecast/engine';
import type { ForecastEngine } from '../../../control-plane/forecast/engine-types';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';
import { RetrainingSchedule } from '../../../control-plane/service/retraining';
import { ourModel } from '../../models/fixtures';
import { RETRAIN_START_MS, recordSwaps } from './retraining-support';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Retraining every 6 h on `clock` (rounds fail: no store here; only the looks between them matter). */
const sixHourly = (
  clock: SimClock,
  engine: ForecastEngine,
  registryDir: string,
  v0: string,
  logger: Logger,
) =>
  new RetrainingSchedule({
    clock,
    everyMs: 6 * 3_600_000,
    stepMs: 60_000,
    steps: 100,
    engine,
    registryDir,
    defaultModelFile: v0,
    store: { readDemandWindows: () => Promise.reject(new Error('no store in this test')) },
    logger,
  });

/** A registry in a temporary folder whose champion is v1 (a copy of v0's model). */
async function promotedRegistry() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-follow-'));
  const v0 = path.join(dir, 'v0.onnx');
  const bytes = (await ourModel(3)).bytes;
  fs.writeFileSync(v0, bytes);
  const regDir = path.join(dir, 'registry');
  const r = new ModelRegistry(regDir, v0);
  r.promote(r.addCandidate(bytes, {}).version, 'better');
  return { dir, v0, regDir, r };
}

describe('service retraining: a CLI rollback reaches the running service', function () {
  this.timeout(30_000);

  it('serves the rolled-back champion within followMs, before any round', async () => {
    const { dir, v0, regDir, r } = await promotedRegistry();
    try {
      const engine = await createForecastEngine({ modelFile: r.fileOf(1) });
      const swaps = recordSwaps(engine);
      const clock = new SimClock(RETRAIN_START_MS);
      const schedule = sixHourly(clock, engine, regDir, v0, quiet);
      schedule.start();
      new ModelRegistry(regDir, v0).rollback('earmark models rollback'); // the CLI
      await clock.advance(60_000);
      for (let i = 0; i < 50 && schedule.status().champion !== 0; i++)
        await new Promise((res) => setTimeout(res, 10));
      assert.deepEqual(swaps, [v0], 'the engine serves the rolled-back champion');
      assert.equal(schedule.status().champion, 0);
      assert.equal(schedule.status().runs, 0, 'no round ran');
      await schedule.stop();
      await engine.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts a champion as served only once the engine runs it, and tries a failed swap again', async () => {
    const { dir, v0, regDir, r } = await promotedRegistry();
    try {
      // An engine that keeps its model when a file does not load (as ModelSlot does), then loads.
      let loads = false;
      let serving = r.fileOf(1);
      const swaps: string[] = [];
      const engine = {
        setModel: async (f: string) => {
          swaps.push(f);
          if (loads) serving = f;
        },
        status: () => ({ model: 'm', modelFile: serving, modelError: loads ? null : 'session failed' }),
      } as unknown as ForecastEngine;
      const warnings: string[] = [];
      const clock = new SimClock(RETRAIN_START_MS);
      const schedule = sixHourly(clock, engine, regDir, v0, { ...quiet, warn: (m) => warnings.push(m) });
      schedule.start();
      new ModelRegistry(regDir, v0).rollback('earmark models rollback');
      const settle = async (n: number) => {
        for (let i = 0; i < 50 && swaps.length < n; i++) await new Promise((res) => setTimeout(res, 10));
        await new Promise((res) => setTimeout(res, 10));
      };
      await clock.advance(60_000);
      await settle(1);
      assert.equal(schedule.status().champion, 1, 'not served: the engine still runs v1');
      assert.ok(
        warnings.some((w) => /does not load; not served/.test(w)),
        warnings.join('\n'),
      );
      loads = true;
      await clock.advance(60_000);
      await settle(2);
      assert.deepEqual(swaps, [v0, v0], 'tried again');
      assert.equal(schedule.status().champion, 0);
      await schedule.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
