/**
 * The flat shared-data store behind SharedData (wasm-host/shared-store.ts): it must keep
 * SharedData::set/get semantics (proxy-wasm-cpp-host src/shared_data.cc) while it grows, rewrites
 * values in place or elsewhere, and compacts.
 */
import { strict as assert } from 'node:assert';
import { SharedStore, wordsOf } from '../../wasm-host/shared-store';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

describe('wasm-host: shared-data store (slot table and slab)', () => {
  let cas = 1;
  const next = (): number => cas++;
  const put = (s: SharedStore, k: string, v: string, c = 0): number => {
    const kb = b(k);
    const vb = b(v);
    return s.set(kb, 0, kb.length, vb, 0, vb.length, c, next);
  };
  const get = (s: SharedStore, k: string): string | undefined => {
    const kb = b(k);
    const off = s.find(kb, 0, kb.length);
    return off < 0 ? undefined : Buffer.from(s.value(off)).toString();
  };

  it('keeps every key through index growth and slab growth', () => {
    const s = new SharedStore();
    for (let i = 0; i < 50_000; i++) put(s, `user-${i}`, `v${i}`.padEnd(40, '.'));
    assert.equal(s.count, 50_000);
    for (const i of [0, 1, 777, 49_999]) assert.equal(get(s, `user-${i}`), `v${i}`.padEnd(40, '.'));
    assert.equal(get(s, 'user-50000'), undefined);
    assert.equal(get(s, 'user-'), undefined, 'a prefix is not a key');
  });

  it('rewrites a value in its slot when it fits, in the slab when it outgrows it; the cas changes each time', () => {
    const s = new SharedStore();
    const first = put(s, 'k', 'long-value');
    const casA = s.cas(first);
    const inSlot = s.bytes();
    const same = put(s, 'k', 'short');
    assert.equal(same, first, 'same slot');
    assert.equal(s.bytes(), inSlot, 'rewritten in place');
    assert.equal(get(s, 'k'), 'short');
    const big = 'a much longer value than before, '.repeat(5); // 165 bytes: more than a slot holds
    const moved = put(s, 'k', big);
    assert.equal(get(s, 'k'), big);
    assert.ok(s.bytes() > inSlot, 'the record went to the slab');
    assert.notEqual(s.cas(moved), casA);
    const inSlab = s.bytes();
    assert.equal(get(s, 'k'), big);
    put(s, 'k', big.slice(1));
    assert.equal(s.bytes(), inSlab, 'a smaller value is rewritten in place in the slab');
    put(s, 'k', big + big);
    assert.ok(s.bytes() > inSlab, 'a larger one is appended anew');
    assert.equal(get(s, 'k'), big + big);
    assert.equal(s.count, 1);
  });

  it('keeps records at the edge of a slot exact, inline or in the slab, through updates', () => {
    const s = new SharedStore();
    const keyOf = (kl: number, vl: number): string => `${kl}/${vl}/`.padEnd(kl, 'k');
    const valueOf = (vl: number, salt: number): string =>
      Array.from({ length: vl }, (_, i) => String.fromCharCode(97 + ((i * 7 + salt) % 26))).join('');
    for (const salt of [0, 1, 2]) {
      for (let kl = 6; kl <= 40; kl += 3) {
        for (let vl = 90; vl <= 126; vl++) {
          const len = salt === 1 ? vl + 8 : salt === 2 ? vl - 90 : vl; // cross the edge both ways
          put(s, keyOf(kl, vl), valueOf(len, salt));
        }
      }
      for (let kl = 6; kl <= 40; kl += 3) {
        for (let vl = 90; vl <= 126; vl++) {
          const len = salt === 1 ? vl + 8 : salt === 2 ? vl - 90 : vl;
          assert.equal(get(s, keyOf(kl, vl)), valueOf(len, salt), `key ${kl} value ${len}`);
        }
      }
    }
    assert.equal(s.records().length, s.count);
  });

  it('a stale cas is refused and changes nothing', () => {
    const s = new SharedStore();
    const off = put(s, 'k', 'a');
    const stale = s.cas(off);
    put(s, 'k', 'b');
    assert.equal(put(s, 'k', 'c', stale), -1);
    assert.equal(get(s, 'k'), 'b');
  });

  it('compacts dead records without losing live ones', () => {
    const s = new SharedStore();
    for (let i = 0; i < 2_000; i++) put(s, `k${i}`, 'x');
    for (let round = 1; round <= 12; round++) {
      for (let i = 0; i < 2_000; i++) put(s, `k${i}`, 'y'.repeat(round * 40));
    }
    assert.ok(s.bytes() < 2_000 * 12 * 40 * 3, `dead records were reclaimed: ${s.bytes()} bytes`);
    for (const i of [0, 999, 1_999]) assert.equal(get(s, `k${i}`), 'y'.repeat(480));
    assert.equal(s.records().length, 2_000);
  });

  it('a read-then-write of one key (the last record checked first) never answers for another key', () => {
    const s = new SharedStore();
    for (let i = 0; i < 300; i++) put(s, `earmark/r/user-${i}`, `v${i}`.padEnd(60, '.'));
    let compactions = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 300; i += 7) {
        const k = `earmark/r/user-${i}`;
        const kb = b(k);
        const off = s.find(kb, 0, kb.length);
        // Same length, last byte differs: must not be taken for the record just found.
        const twin = b(
          `earmark/r/user-${i}`.slice(0, -1) + String.fromCharCode(k.charCodeAt(k.length - 1) ^ 1),
        );
        const twinOff = s.find(twin, 0, twin.length);
        assert.ok(twinOff !== off, `${k}: another key gives another record`);
        // Write back with the cas of the read, growing the value every round (the record moves).
        const before = s.bytes();
        const grown = `r${round}-${i}`.padEnd(60 + round * 200, '#');
        const at = s.find(kb, 0, kb.length);
        assert.ok(at >= 0);
        const c = s.cas(at);
        assert.notEqual(put(s, k, grown, c), -1, `${k}: the cas of the read is current`);
        assert.equal(put(s, k, 'stale', c), -1, `${k}: the same cas again is stale`);
        if (s.bytes() < before) compactions++;
        assert.equal(get(s, k), grown);
      }
    }
    for (let i = 0; i < 300; i++) assert.ok(get(s, `earmark/r/user-${i}`) !== undefined);
    assert.equal(s.count, 300);
    assert.ok(compactions > 0, 'records moved by compaction while a last record was remembered');
  });

  it('keys are compared byte for byte, including NUL and non-ASCII bytes', () => {
    const s = new SharedStore();
    const k1 = new Uint8Array([0, 255, 1]);
    const k2 = new Uint8Array([0, 255, 2]);
    s.set(k1, 0, 3, b('one'), 0, 3, 0, next);
    s.set(k2, 0, 3, b('two'), 0, 3, 0, next);
    assert.equal(Buffer.from(s.value(s.find(k1, 0, 3))).toString(), 'one');
    assert.equal(Buffer.from(s.value(s.find(k2, 0, 3))).toString(), 'two');
  });

  it('finds a key whatever its alignment, read by words or by bytes', () => {
    const s = new SharedStore();
    const key = b('earmark/r/user-12345'); // 20 bytes: five words
    put(s, 'earmark/r/user-12345', 'v');
    put(s, 'earmark/r/user-1234', 'w'); // same prefix, tail of 3 bytes
    const mem = new Uint8Array(64);
    const words = wordsOf(mem);
    for (const at of [0, 1, 2, 3, 4, 8]) {
      mem.fill(0);
      mem.set(key, at);
      const off = s.find(mem, at, key.length, words);
      assert.ok(off >= 0, `found at offset ${at}`);
      assert.equal(Buffer.from(s.value(off)).toString(), 'v');
      assert.equal(s.find(mem, at, key.length - 1, words), s.find(b('earmark/r/user-1234'), 0, 19));
    }
  });

  it('copies values in and out by 64-bit words, 32-bit words or bytes with the same result', () => {
    const s = new SharedStore();
    const mem = new Uint8Array(256);
    const words = wordsOf(mem);
    const value = Uint8Array.from({ length: 93 }, (_, i) => (i * 37 + 11) & 255);
    const k = b('k');
    for (const at of [16, 17, 18, 19, 20]) {
      mem.fill(0);
      mem.set(value, at);
      assert.ok(s.set(k, 0, 1, mem, at, value.length, 0, next, words) >= 0);
      const off = s.find(k, 0, 1);
      assert.deepEqual([...s.value(off)], [...value], `stored from offset ${at}`);
      const out = new Uint8Array(256);
      s.copyValue(off, out, at + 100, wordsOf(out));
      assert.deepEqual(
        [...out.subarray(at + 100, at + 100 + value.length)],
        [...value],
        `read to ${at + 100}`,
      );
    }
  });
});
