import { strict as assert } from 'node:assert';
import { RecordStore } from '../../../../control-plane/distribute/client/record-store';
import { viewOf } from '../../../../control-plane/distribute/codec/name-hash';

// find() compares short (inline) names a word at a time when given a DataView: names that differ
// in one byte only, at every position and length, all on one hash (so that every lookup compares
// bytes), looked up at every alignment of the caller's buffer.
describe('distribute/client: RecordStore word-wise name comparison', () => {
  it('finds exactly the right record for names differing in one byte, at any offset, with or without a view', () => {
    const st = new RecordStore();
    const names: string[] = [];
    for (let len = 1; len <= 30; len++) {
      names.push('a'.repeat(len));
      for (let k = 0; k < len; k++) names.push('a'.repeat(k) + 'b' + 'a'.repeat(len - k - 1));
    }
    st.reserve(names.length);
    const ids = new Map<string, number>();
    for (const n of names) {
      const b = Buffer.from(n, 'latin1');
      assert.equal(st.find(7, b, 0, b.length), -1, `${n} not there yet`);
      ids.set(n, st.add(7, b, 0, b.length, 4));
    }
    for (let offset = 0; offset < 4; offset++) {
      for (const n of names) {
        const buf = Buffer.alloc(offset + n.length + 3, 0x61); // padding of 'a's around the name
        buf.write(n, offset, 'latin1');
        const sub = buf.subarray(1); // a view at an odd byteOffset
        const view = viewOf(sub);
        const from = offset - 1;
        if (from < 0) continue;
        const withView = st.find(7, sub, from, from + n.length, view);
        const without = st.find(7, sub, from, from + n.length);
        assert.equal(withView, ids.get(n), `${n} at offset ${offset} with a view`);
        assert.equal(without, ids.get(n), `${n} at offset ${offset} without a view`);
        assert.equal(st.name(withView), n);
      }
    }
    const missing = Buffer.from('a'.repeat(10) + 'c', 'latin1');
    assert.equal(st.find(7, missing, 0, missing.length, viewOf(missing)), -1);
  });
});
