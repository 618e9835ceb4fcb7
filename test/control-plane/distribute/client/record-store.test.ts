import { strict as assert } from 'node:assert';
import { NO_TTL, RecordStore } from '../../../../control-plane/distribute/client/record-store';
import { hashNameString } from '../../../../control-plane/distribute/codec/name-hash';
import { rng } from '../../../../control-plane/distribute/testing/synthetic-reservations';

const enc = (s: string) => Buffer.from(s, 'utf8');

function find(st: RecordStore, name: string): number {
  const b = enc(name);
  return st.find(hashNameString(name), b, 0, b.length);
}

describe('distribute/client: RecordStore', () => {
  it('agrees with a Map through adds, removals, growing bodies and compactions', () => {
    const st = new RecordStore();
    const model = new Map<string, Uint8Array>();
    const r = rng(7);
    const names = Array.from({ length: 3000 }, (_, i) => (i % 5 === 0 ? `usér-${i}` : `user-${i}`));
    for (let step = 0; step < 40_000; step++) {
      const name = names[Math.floor(r() * names.length)];
      const at = find(st, name);
      assert.equal(at >= 0, model.has(name), `${name} present at step ${step}`);
      if (at >= 0 && r() < 0.3) {
        st.remove(at);
        model.delete(name);
        continue;
      }
      // Bodies of 1 to 400 bytes: later versions often outgrow their room and move.
      const body = Uint8Array.from({ length: 1 + Math.floor(r() * 400) }, () => Math.floor(r() * 256));
      const src = new Uint8Array(body.length + 20);
      src.set(body, 10);
      let rec = at;
      if (rec < 0) {
        const b = enc(name);
        rec = st.add(name, hashNameString(name), b, 0, b.length, Math.floor(r() * 200));
      }
      st.setBody(rec, src, 10, 10 + body.length);
      model.set(name, body);
    }
    assert.equal(st.size, model.size);
    let live = 0;
    for (let rec = 0; rec < st.end; rec++) {
      if (!st.isLive(rec)) continue;
      live++;
      const name = st.names[rec];
      assert.deepEqual(st.body(rec), model.get(name), name);
      assert.equal(find(st, name), rec);
      assert.equal(st.findName(name), rec);
    }
    assert.equal(live, model.size);
  });

  it('keeps stamps and deadlines per record, and frees a removed record for reuse', () => {
    const st = new RecordStore();
    const a = enc('a');
    const b = enc('bb');
    const ra = st.add('a', hashNameString('a'), a, 0, 1, 4);
    const rb = st.add('bb', hashNameString('bb'), b, 0, 2, 4);
    assert.equal(st.deadline(ra), NO_TTL);
    st.setDeadline(ra, 1_767_225_600_123.5);
    st.setStamp(rb, 42);
    assert.equal(st.deadline(ra), 1_767_225_600_123.5);
    assert.equal(st.stamp(rb), 42);
    assert.equal(st.stamp(ra), 0);
    st.remove(ra);
    assert.equal(st.findName('a'), -1);
    assert.equal(st.isLive(ra), false);
    const c = enc('c');
    assert.equal(st.add('c', hashNameString('c'), c, 0, 1, 0), ra);
    assert.equal(st.deadline(ra), NO_TTL);
    assert.equal(st.findName('bb'), rb);
  });
});
