/** A model swap (a promotion) that lands while a cycle awaits the old model's run. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MODEL_FILE } from '../../../control-plane/forecast/model/default-model';
import { ModelSlot } from '../../../control-plane/forecast/model-slot';

describe('model slot: hot swap during a run', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-swap-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the run in progress finishes on the old model, which is disposed only afterwards', async () => {
    const copy = path.join(dir, 'copy.onnx');
    fs.copyFileSync(DEFAULT_MODEL_FILE, copy);
    const errors: string[] = [];
    const slot = new ModelSlot(15, 1, (e) => errors.push(e.message));
    assert.ok(await slot.set(DEFAULT_MODEL_FILE));
    const old = slot.model!;
    const n = 20_000; // rows enough for the run to be in progress when the swap lands
    const batch = old.newBatch(n);
    const run = old.run(batch, n);
    assert.ok(await slot.set(copy)); // the promotion, awaited as retrainer.ts does
    const out = await run;
    assert.equal(out.length, n * old.signature.horizon * old.signature.quantiles.length);
    assert.ok(out.every(Number.isFinite));
    assert.equal(slot.file, copy);
    assert.equal(slot.error, null);
    // The old session is released once its last run has ended.
    await new Promise((r) => setImmediate(r));
    await assert.rejects(old.run(batch, 1), /disposed|release|session/i);
    // The new model runs, and close() releases it.
    const now = slot.model!;
    assert.equal((await now.run(batch, 1)).length, now.signature.horizon * now.signature.quantiles.length);
    await slot.close();
    await assert.rejects(now.run(batch, 1), /disposed|release|session/i);
    assert.deepEqual(errors, []);
  });
});
