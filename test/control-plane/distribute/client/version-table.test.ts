import { strict as assert } from 'node:assert';
import { RecordStore } from '../../../../control-plane/distribute/client/record-store';
import { VersionTable } from '../../../../control-plane/distribute/client/version-table';
import { hashNameString } from '../../../../control-plane/distribute/codec/name-hash';

describe('distribute/client: version ids', () => {
  it('gives one id per string, the same id again, and back the same string', () => {
    const t = new VersionTable();
    const a = t.id('v1');
    assert.equal(t.id('v2') !== a, true);
    assert.equal(t.id('v1'), a);
    assert.equal(t.string(a), 'v1');
    assert.equal(t.isNew('v1'), false);
    assert.equal(t.isNew('v3'), true);
    assert.equal(t.size, 3, "'' and two versions");
  });

  it('keeps every record on its version while the store drops versions no record holds', () => {
    const st = new RecordStore();
    const names = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    st.reserve(names.length); // record ids then stay put (a growing table moves records)
    const ids = names.map((n) => {
      const b = Buffer.from(n);
      return st.add(hashNameString(n), b, 0, b.length, 0);
    });
    const held = new Map<string, string>();
    // 6,000 publishes, each naming one user: the table passes 4,096 entries and is rebuilt; the
    // last 2,000 name only the first 10 users, so the others' versions must survive the rebuild.
    for (let k = 0; k < 6000; k++) {
      const i = (k * 7) % (k < 4000 ? names.length : 10);
      st.setVersion(ids[i], `e.${k}`);
      held.set(names[i], `e.${k}`);
    }
    for (const [i, n] of names.entries()) assert.equal(st.version(ids[i]), held.get(n), n);
  });
});
