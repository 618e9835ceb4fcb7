import { strict as assert } from 'node:assert';
import { RecordStore } from '../../../../control-plane/distribute/client/record-store';
import { rng } from '../../../../control-plane/distribute/testing/synthetic-reservations';

// Names forced onto four hashes, two of which pick the table's last slots: long probe chains that
// wrap around the end, full-hash collisions, and backward-shift deletion across the wrap.
const HASHES = [0, -1, 0x7ffffffe, 5];
const hashOf = (name: string) => HASHES[name.length % HASHES.length];

describe('distribute/client: RecordStore with colliding hashes', () => {
  it('finds every record and its body through adds and removals on wrapped probe chains', () => {
    const st = new RecordStore();
    const model = new Map<string, Uint8Array>();
    const r = rng(11);
    const names = Array.from(
      { length: 120 },
      (_, i) => 'n'.repeat(1 + (i % 9)) + (i % 2 ? `-${i}` : `${i}x`),
    );
    for (let step = 0; step < 6000; step++) {
      const name = names[Math.floor(r() * names.length)];
      const b = Buffer.from(name, 'utf8');
      const at = st.find(hashOf(name), b, 0, b.length);
      assert.equal(at >= 0, model.has(name), `${name} present at step ${step}`);
      if (at >= 0 && r() < 0.45) {
        st.remove(at);
        model.delete(name);
      } else {
        const body = Uint8Array.from({ length: 1 + Math.floor(r() * 60) }, () => Math.floor(r() * 256));
        const rec = at >= 0 ? at : st.add(hashOf(name), b, 0, b.length, body.length);
        st.setBody(rec, body, 0, body.length);
        model.set(name, body);
      }
      for (const [n, body] of model) {
        const nb = Buffer.from(n, 'utf8');
        const rec = st.find(hashOf(n), nb, 0, nb.length);
        assert.ok(rec >= 0, `${n} lost at step ${step}`);
        assert.deepEqual(st.body(rec), body, n);
        assert.equal(st.name(rec), n);
      }
      assert.equal(st.size, model.size);
    }
  });
});
