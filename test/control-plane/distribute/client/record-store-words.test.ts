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

// setBody copies 8 bytes at a time through DataView getFloat64/setFloat64: the bytes must come out
// exactly as they went in, including the patterns that read as NaNs (signalling, quiet, with
// payloads, either sign) and -0, before and after the copy is optimized, at every length and
// alignment.
describe('distribute/client: RecordStore body copy', () => {
  const nanLike = [
    '7ff0000000000001',
    '7ff4000000000000',
    '7ff8000000000000',
    '7ff8000000000001',
    'fff0000000000001',
    'fff8dead0000beef',
    '7fffffffffffffff',
    'ffffffffffffffff',
    '8000000000000000',
    '7ff0000000000000',
  ].flatMap((h) => [Buffer.from(h, 'hex').reverse(), Buffer.from(h, 'hex')]); // as read little-endian, and reversed

  /** A body of `len` bytes: NaN-like words at every offset modulo 8, then pseudo-random bytes. */
  function body(len: number, seed: number): Buffer {
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = (i * 131 + seed * 17) & 0xff;
    for (let at = seed % 8, k = seed; at + 8 <= len; at += 11, k++) nanLike[k % nanLike.length].copy(b, at);
    return b;
  }

  it('stores every byte of every body, NaN bit patterns included, cold and after many copies', () => {
    const st = new RecordStore();
    const name = Buffer.from('user-1', 'latin1');
    st.reserve(1);
    const r = st.add(3, name, 0, name.length, 8);
    for (let round = 0; round < 3000; round++) {
      const len = round % 97;
      const b = body(len, round);
      const pad = round % 5;
      const buf = Buffer.concat([Buffer.alloc(pad, 0xee), b, Buffer.alloc(3, 0xee)]);
      st.setBody(r, buf, pad, pad + len);
      st.release();
      // Compared every round: the first copies run unoptimized, the later ones optimized.
      assert.deepEqual(Buffer.from(st.body(r)), b, `round ${round}, ${len} bytes at offset ${pad}`);
    }
  });

  it('copies NaN-like words exactly in a response-sized loop (optimized code)', () => {
    const st = new RecordStore();
    const names = Array.from({ length: 64 }, (_, i) => Buffer.from(`u-${i}`, 'latin1'));
    st.reserve(names.length);
    const ids = names.map((n, i) => st.add(i + 1, n, 0, n.length, 120));
    for (let round = 0; round < 200; round++) {
      for (let k = 0; k < ids.length; k++) {
        const b = body(80 + (k % 40), round * 64 + k);
        st.setBody(ids[k], b, 0, b.length);
      }
      st.release();
    }
    for (let k = 0; k < ids.length; k++)
      assert.deepEqual(Buffer.from(st.body(ids[k])), body(80 + (k % 40), 199 * 64 + k), `record ${k}`);
  });
});
