/**
 * Review edges of the shared-data store (wasm-host/shared-store.ts) through SharedData: keys whose
 * hashes collide, empty keys and values, keys longer than a slot, records that cross the slot edge
 * both ways under cas, and cas values past 2^31 (stored in an Int32Array).
 */
import { strict as assert } from 'node:assert';
import { WasmResult } from '../../wasm-host/abi';
import { SharedData } from '../../wasm-host/shared-data';
import { SharedStore } from '../../wasm-host/shared-store';
import { alignedBytes, hashKey } from '../../wasm-host/word-copy';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const text = (v: Uint8Array | undefined): string | undefined =>
  v === undefined ? undefined : Buffer.from(v).toString();

describe('wasm-host: shared-data store edges', () => {
  it('keeps two keys whose 32-bit hashes are equal apart', () => {
    // Found by search; asserted so the test fails loudly if the hash changes.
    const pair = ['earmark/user-326989', 'earmark/user-409402'];
    const h = pair.map((k) => hashKey(b(k), new Int32Array(0), 0, b(k).length));
    assert.equal(h[0], h[1], 'the two keys collide');
    const d = new SharedData();
    d.set('vm', pair[0], 'zero');
    d.set('vm', pair[1], 'one');
    assert.equal(text(d.get('vm', pair[0])?.value), 'zero');
    assert.equal(text(d.get('vm', pair[1])?.value), 'one');
    assert.equal(d.size('vm'), 2);
  });

  it('hashes a key the same read by words (aligned) as by bytes (unaligned, or no word view)', () => {
    const key = 'earmark/user-0123456789abcdef-xyz';
    const bytesHash = hashKey(b(key), new Int32Array(0), 0, b(key).length);
    for (const at of [0, 1, 2, 3, 4, 8]) {
      const buf = new Uint8Array(64);
      buf.set(b(key), at);
      assert.equal(hashKey(buf, new Int32Array(buf.buffer), at, key.length), bytesHash, `key at ${at}`);
    }
  });

  it('empty keys and values, long keys, and records crossing the slot edge keep get/set semantics', () => {
    const d = new SharedData();
    assert.equal(d.set('a', '', ''), WasmResult.Ok);
    assert.equal(d.get('a', '')?.value.length, 0);
    const long = 'k'.repeat(70_000);
    d.set('a', long, 'x');
    assert.equal(text(d.get('a', long)?.value), 'x');
    d.set('a', long, '');
    assert.equal(d.get('a', long)?.value.length, 0);
    for (let kl = 0; kl < 130; kl++) {
      for (const vl of [0, 1, 115, 116, 117, 200, 0, 3]) {
        const k = 'q'.repeat(kl);
        const v = String.fromCharCode(65 + (vl % 26)).repeat(vl);
        const prev = d.get('b', k);
        assert.equal(d.set('b', k, v, prev?.cas ?? 0), WasmResult.Ok);
        assert.equal(text(d.get('b', k)?.value), v, `key ${kl} value ${vl}`);
        if (prev !== undefined) assert.equal(d.set('b', k, 'z', prev.cas), WasmResult.CasMismatch);
      }
    }
    assert.equal(d.size('b'), 130);
    assert.equal(d.get('c', ''), undefined, 'another vm_id sees nothing');
  });

  it('table memory: whole 64 KiB pages come zeroed from their own page-aligned buffer, other sizes plain', () => {
    // The alignment itself is invisible to JS (no addresses); what the store relies on is checked.
    for (const n of [65536, 3 * 65536, 1 << 22]) {
      const a = alignedBytes(n);
      assert.equal(a.length, n);
      assert.equal(a.byteOffset, 0);
      assert.equal(a.buffer.byteLength, n, 'the view covers its whole buffer (word views start at 0)');
      assert.ok(a.every((x) => x === 0));
      a[n - 1] = 7;
      assert.equal(new Int32Array(a.buffer)[n / 4 - 1], 7 << 24);
    }
    for (const n of [0, 100, 65535, 65536 + 8]) assert.equal(alignedBytes(n).length, n);
  });

  it('a cas past 2^31 reads back unsigned and still matches, inline and in the slab', () => {
    let c = 0x7ffffffe;
    const next = (): number => c++;
    const s = new SharedStore();
    const k = b('k');
    for (const v of ['a', 'x'.repeat(300), 'b', 'y'.repeat(600)]) {
      const slot = s.find(k, 0, 1);
      const cur = slot < 0 ? 0 : s.cas(slot);
      assert.ok(s.set(k, 0, 1, b(v), 0, v.length, cur, next) >= 0, `set ${v.length} with cas ${cur}`);
      assert.ok(s.cas(s.find(k, 0, 1)) > cur);
    }
  });
});
