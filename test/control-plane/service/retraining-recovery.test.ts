/** The service's retraining when the champion's file is damaged, or the CLI rolled back meanwhile. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../../control-plane/domain/logger';
import { createForecastEngine } from '../../../control-plane/forecast/engine';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';
import { championModelFile } from '../../../control-plane/service/retraining';
import { ourModel } from '../../models/fixtures';
import { hourlySchedule, recordSwaps } from './retraining-support';

describe('service retraining: damaged champion, rollback from the CLI', function () {
  this.timeout(60_000);
  let dir: string;
  let v0: string;
  let regDir: string;
  let bytes: Uint8Array;
  let warnings: string[];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m, f) => warnings.push(f ? `${m} ${JSON.stringify(f)}` : m),
    error: () => {},
  };
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-retraining-'));
    v0 = path.join(dir, 'v0.onnx');
    bytes ??= (await ourModel(3)).bytes;
    fs.writeFileSync(v0, bytes);
    regDir = path.join(dir, 'registry');
    warnings = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Champion v2 (v1 before it), both copies of v0's model. */
  function twoPromotions(): ModelRegistry {
    const r = new ModelRegistry(regDir, v0);
    for (let i = 0; i < 2; i++) r.promote(r.addCandidate(bytes, {}).version, 'better');
    return r;
  }

  for (const [what, damage] of [
    ['zero-length', (f: string) => fs.writeFileSync(f, new Uint8Array(0))],
    ['missing', (f: string) => fs.rmSync(f)],
  ] as const)
    it(`a ${what} champion file: the service starts on the newest usable one, and says so`, async () => {
      const r = twoPromotions();
      damage(r.fileOf(2));
      const file = championModelFile(regDir, v0, (m) => warnings.push(m));
      assert.equal(file, r.fileOf(1));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /v2 is unusable .*rolled back to v1/);
      const engine = await createForecastEngine({
        modelFile: file!,
        onModelError: (e) => warnings.push(e.message),
      });
      assert.notEqual(engine.status().model, null);
      await engine.close();
      const again = new ModelRegistry(regDir, v0);
      assert.equal(again.championVersion, 1, 'recorded: retraining starts from v1');
      assert.equal(again.history().at(-1)!.action, 'rollback');
      assert.equal(warnings.length, 1);
    });

  it('a round follows the registry on disk: a CLI rollback, then a champion file lost while running', async () => {
    const r = twoPromotions();
    const engine = await createForecastEngine({ modelFile: r.fileOf(2) });
    const swaps = recordSwaps(engine);
    const schedule = hourlySchedule({
      engine,
      registryDir: regDir,
      defaultModelFile: v0,
      // The round itself fails (no data here): what matters is what happens before it.
      store: { readDemandWindows: () => Promise.reject(new Error('no store in this test')) },
      steps: 100,
      logger,
    });
    assert.equal(schedule.status().champion, 2);
    new ModelRegistry(regDir, v0).rollback('earmark models rollback'); // the CLI, while the service runs
    await schedule.runOnce();
    assert.deepEqual(swaps, [r.fileOf(1)]);
    assert.equal(schedule.status().champion, 1);
    assert.equal(engine.status().modelFile, r.fileOf(1));
    fs.rmSync(r.fileOf(1));
    await schedule.runOnce();
    assert.deepEqual(swaps, [r.fileOf(1), v0]);
    assert.equal(schedule.status().champion, 0);
    assert.equal(new ModelRegistry(regDir, v0).championVersion, 0);
    assert.ok(
      warnings.some((w) => /v1 is unusable/.test(w)),
      warnings.join('\n'),
    );
    await engine.close();
  });
});
