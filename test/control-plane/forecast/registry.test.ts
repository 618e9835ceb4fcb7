import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelRegistry } from '../../../control-plane/forecast/registry/model-registry';
import { decidePromotion, DEFAULT_PROMOTION } from '../../../control-plane/forecast/registry/promotion';

describe('model registry', () => {
  let dir: string;
  let clock = 1000;
  const now = () => (clock += 1000);
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-registry-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts with the committed default as version 0 and champion', () => {
    const r = new ModelRegistry(dir, '/models/default.onnx', now);
    assert.equal(r.championVersion, 0);
    assert.deepEqual(
      r.list().map((v) => [v.version, v.status, v.file]),
      [[0, 'champion', '/models/default.onnx']],
    );
  });

  it('stores candidates with metadata, promotes, rejects and rolls back, and remembers it all', () => {
    const r = new ModelRegistry(dir, '/models/default.onnx', now);
    const v1 = r.addCandidate(new Uint8Array([1, 2, 3]), { championLoss: 0.5, challengerLoss: 0.4 });
    assert.equal(v1.version, 1);
    assert.equal(v1.status, 'candidate');
    assert.equal(v1.parent, 0);
    assert.deepEqual([...fs.readFileSync(r.fileOf(1))], [1, 2, 3]);
    r.promote(1, 'better');
    const v2 = r.addCandidate(new Uint8Array([4]), { challengerLoss: 0.6 });
    assert.equal(v2.parent, 1);
    r.reject(2, 'worse');
    assert.equal(r.championVersion, 1);
    assert.deepEqual(
      r.list().map((v) => [v.version, v.status]),
      [
        [0, 'retired'],
        [1, 'champion'],
        [2, 'rejected'],
      ],
    );
    assert.equal(r.get(2).info.rejectedReason, 'worse');

    // A fresh process sees the same registry.
    const again = new ModelRegistry(dir, '/models/default.onnx', now);
    assert.equal(again.championVersion, 1);
    assert.deepEqual(
      again.history().map((e) => [e.action, e.version, e.previous]),
      [
        ['promote', 1, 0],
        ['reject', 2, 1],
      ],
    );
    const back = again.rollback('bad in production');
    assert.equal(back.version, 0);
    assert.equal(again.championVersion, 0);
    assert.equal(again.get(1).status, 'retired');
    assert.throws(() => again.rollback(), /nothing to roll back to/);
  });

  it('a damaged registry file is a clear error, not a silent reset', () => {
    fs.writeFileSync(path.join(dir, 'registry.json'), '{"champion": 3,');
    assert.throws(() => new ModelRegistry(dir), /registry\.json is not valid JSON/);
    fs.writeFileSync(path.join(dir, 'registry.json'), '{"champion": "x"}');
    assert.throws(() => new ModelRegistry(dir), /expected \{champion, lineage, history\}/);
  });
});

describe('champion/challenger promotion rule', () => {
  it('promotes only a challenger better by the margin on enough holdout rows', () => {
    const rows = DEFAULT_PROMOTION.minHoldoutRows;
    assert.equal(decidePromotion({ champion: 1, challenger: 0.95, rows }).promote, true);
    assert.match(decidePromotion({ champion: 1, challenger: 0.95, rows }).reason, /by 5\.0 %/);
    assert.equal(
      decidePromotion({ champion: 1, challenger: 0.995, rows }).promote,
      false,
      'within the margin',
    );
    assert.equal(decidePromotion({ champion: 1, challenger: 1.2, rows }).promote, false, 'worse');
    assert.match(decidePromotion({ champion: 1, challenger: 0.5, rows: rows - 1 }).reason, /fewer than/);
    assert.equal(decidePromotion({ champion: 1, challenger: NaN, rows }).promote, false);
    assert.equal(
      decidePromotion({ champion: NaN, challenger: 0.7, rows }).promote,
      true,
      'a champion that cannot score',
    );
  });
});
