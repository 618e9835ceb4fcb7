/** The registry survives a candidate write cut short (full disk, kill) and a damaged meta.json. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';

describe('model registry: damaged or incomplete versions', () => {
  let dir: string;
  let warnings: string[];
  const open = () => new ModelRegistry(dir, '/models/default.onnx', Date.now, (m) => warnings.push(m));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-registry-damage-'));
    warnings = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a candidate write that fails (disk full) leaves nothing behind, and the next one succeeds', () => {
    const r = open();
    // The real module object, as the registry sees it: putting the model file in place fails as
    // on a full disk (the rename, the one call every way of writing it makes with its path).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const realFs = require('node:fs') as typeof fs;
    const real = realFs.renameSync;
    realFs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      if (String(to).endsWith('model.onnx'))
        throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
      real(from, to);
    };
    try {
      assert.throws(() => r.addCandidate(new Uint8Array([1]), {}), /ENOSPC/);
    } finally {
      realFs.renameSync = real;
    }
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(r.addCandidate(new Uint8Array([2]), {}).version, 1);
    assert.deepEqual(
      open()
        .list()
        .map((v) => v.version),
      [0, 1],
    );
    assert.deepEqual(warnings, []);
  });

  it('a version directory without meta.json (a killed write) is skipped with a warning, its number never reused', () => {
    const r = open();
    r.addCandidate(new Uint8Array([1]), {});
    fs.mkdirSync(path.join(dir, 'v2')); // what a kill between mkdir and the meta.json write leaves
    assert.deepEqual(
      r.list().map((v) => v.version),
      [0, 1],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /no version 2 .*version 2 skipped/);
    const v3 = r.addCandidate(new Uint8Array([3]), {});
    assert.equal(v3.version, 3);
    r.promote(3, 'better');
    assert.deepEqual(
      open()
        .list()
        .map((v) => [v.version, v.status]),
      [
        [0, 'retired'],
        [1, 'candidate'],
        [3, 'champion'],
      ],
    );
    assert.equal(warnings.length, 2, 'one warning per registry object, not per list()');
  });

  it('a corrupt meta.json is named in the error and skipped by list()', () => {
    const r = open();
    r.addCandidate(new Uint8Array([1]), {});
    const meta = path.join(dir, 'v1', 'meta.json');
    fs.writeFileSync(meta, '{"version": 1, "fi');
    assert.throws(
      () => r.get(1),
      (e: Error) => e.message.includes(meta),
    );
    assert.equal(r.addCandidate(new Uint8Array([2]), {}).version, 2);
    assert.deepEqual(
      r.list().map((v) => v.version),
      [0, 2],
    );
    assert.ok(warnings[0].includes(meta), warnings[0]);
  });
});
