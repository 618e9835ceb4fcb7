import { strict as assert } from 'node:assert';
import { NO_TTL, RecordStore } from '../../../../control-plane/distribute/client/record-store';
import { hashNameString } from '../../../../control-plane/distribute/codec/name-hash';
import { rng } from '../../../../control-plane/distribute/testing/synthetic-reservations';

const enc = (s: string) => Buffer.from(s, 'utf8');

function find(st: RecordStore, name: string): number {
  const b = enc(name);
  return st.find(hashNameString(name), b, 0, b.length);
}

function add(st: RecordStore, name: string, cap: number): number {
  const b = enc(name);
  return st.add(hashNameString(name), b, 0, b.length, cap);
}

describe('distribute/client: RecordStore', () => {
  it('agrees with a Map through adds, removals, growing bodies and compactions', () => {
    const st = new RecordStore();
    const model = new Map<string, { body: Uint8Array; version: string; deadline: number }>();
    const r = rng(7);
    // Short names live in the slot too, long ones (> 24 bytes) only in the arena; some are not ASCII.
    const names = Array.from({ length: 3000 }, (_, i) =>
      i % 5 === 0 ? `usér-${i}` : i % 7 === 0 ? `a-rather-long-user-name-number-${i}` : `user-${i}`,
    );
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
      const raw = new Uint8Array(body.length + 20);
      raw.set(body, 10);
      const src = step % 2 ? Buffer.from(raw) : raw; // small Buffers lie at an offset in a shared pool
      const rec = at >= 0 ? at : add(st, name, Math.floor(r() * 200));
      const version = `v${Math.floor(r() * 50)}`;
      const deadline = r() < 0.2 ? NO_TTL : 1_767_225_600_000 + step;
      st.setBody(rec, src, 10, 10 + body.length);
      st.setVersion(rec, version);
      st.setDeadline(rec, deadline);
      model.set(name, { body, version, deadline });
    }
    assert.equal(st.size, model.size);
    let live = 0;
    for (let rec = 0; rec < st.end; rec++) {
      if (!st.isLive(rec)) continue;
      live++;
      const name = st.name(rec);
      const m = model.get(name)!;
      assert.deepEqual(st.body(rec), m.body, name);
      assert.equal(st.version(rec), m.version);
      assert.equal(st.deadline(rec), m.deadline);
      assert.equal(find(st, name), rec);
      assert.equal(st.findName(name), rec);
    }
    assert.equal(live, model.size);
  });

  it('keeps stamps, deadlines and versions per record, also across a removal that moves records', () => {
    const st = new RecordStore();
    const names = Array.from({ length: 40 }, (_, i) => `u${i}`);
    for (const [i, n] of names.entries()) {
      const rec = add(st, n, 4);
      assert.equal(st.deadline(rec), NO_TTL);
      assert.equal(st.version(rec), '');
      st.setStamp(rec, i);
      st.setDeadline(rec, 1000.5 + i);
      st.setVersion(rec, `v${i % 3}`);
    }
    st.remove(find(st, 'u7'));
    assert.equal(st.findName('u7'), -1);
    for (const [i, n] of names.entries()) {
      if (i === 7) continue;
      const rec = st.findName(n);
      assert.ok(rec >= 0, n);
      assert.deepEqual([st.stamp(rec), st.deadline(rec), st.version(rec)], [i, 1000.5 + i, `v${i % 3}`]);
    }
  });
});
