/** Two registry objects on one directory (the service and `earmark models`), and unusable champions. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';

describe('model registry: shared directory, unusable champions', () => {
  let dir: string;
  const open = () => new ModelRegistry(dir, '/models/default.onnx', Date.now, () => {});
  const onDisk = () => JSON.parse(fs.readFileSync(path.join(dir, 'registry.json'), 'utf8'));
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-registry-sharing-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a rollback by another process is not undone by the next change here', () => {
    const seed = open();
    seed.promote(seed.addCandidate(new Uint8Array([1]), {}).version, 'better');
    const service = open(); // built at start, champion v1
    open().rollback('earmark models rollback'); // the CLI
    const c = service.addCandidate(new Uint8Array([2]), {});
    assert.equal(c.parent, 0, 'the candidate knows the champion is v0 again');
    service.reject(c.version, 'not better');
    assert.equal(onDisk().champion, 0);
    assert.deepEqual(onDisk().lineage, [0]);
    assert.deepEqual(
      onDisk().history.map((e: { action: string }) => e.action),
      ['promote', 'rollback', 'reject'],
    );
    assert.equal(service.get(1).status, 'retired');
    assert.equal(service.championVersion, 0);
  });

  it('rolls back past champions whose file is unusable, recording why, at worst to version 0', () => {
    const r = open();
    for (const b of [1, 2, 3]) r.promote(r.addCandidate(new Uint8Array([b]), {}).version, 'better');
    const check = (f: string) => {
      if (fs.readFileSync(f).length < 1 || fs.readFileSync(f)[0] === 9) throw new Error(`${f} damaged`);
    };
    assert.deepEqual(r.rollBackPastUnusable(check), []);
    fs.writeFileSync(r.fileOf(3), new Uint8Array(0)); // zero-length after a power cut
    fs.writeFileSync(r.fileOf(2), new Uint8Array([9]));
    const skipped = r.rollBackPastUnusable(check);
    assert.deepEqual(
      skipped.map((s) => s.version),
      [3, 2],
    );
    assert.equal(r.championVersion, 1);
    assert.equal(r.get(3).status, 'retired');
    assert.equal(r.get(1).status, 'champion');
    const last = onDisk().history.at(-1);
    assert.equal(last.action, 'rollback');
    assert.match(last.reason, /champion v2 unusable: .*v2.*damaged/);
    fs.rmSync(r.fileOf(1));
    assert.equal(r.rollBackPastUnusable(check).length, 1);
    assert.equal(r.championVersion, 0);
    assert.deepEqual(r.rollBackPastUnusable(check), [], 'version 0 is the last resort, never skipped');
  });
});
