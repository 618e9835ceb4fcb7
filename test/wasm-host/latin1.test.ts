/**
 * Strings read from Wasm memory on the host-call path (wasm-host/latin1.ts): every byte value and
 * every length must round-trip exactly (header values are bytes in Envoy), and the per-address
 * cache of header names must notice when the module wrote different bytes at the same address.
 */
import { strict as assert } from 'node:assert';
import { InternCache, latin1Of, type FastBuffer } from '../../wasm-host/latin1';

const memory = (): { u8: Uint8Array; u32: Int32Array; fast: FastBuffer } => {
  const buf = new ArrayBuffer(4096);
  return { u8: new Uint8Array(buf), u32: new Int32Array(buf), fast: Buffer.from(buf) as FastBuffer };
};

describe('wasm-host: latin1 strings from module memory', () => {
  it('builds every length from 0 to 70 bytes, any byte value, at any alignment', () => {
    const { u8, fast } = memory();
    for (let n = 0; n <= 70; n++) {
      for (const at of [0, 1, 3, 8]) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 71 + n * 13 + at) & 255);
        u8.set(bytes, at);
        assert.equal(latin1Of(u8, fast, at, n), Buffer.from(bytes).toString('latin1'), `${n} bytes at ${at}`);
      }
    }
  });

  it('the name cache returns the bytes now at the address, not what was cached there', () => {
    const { u8, u32, fast } = memory();
    const cache = new InternCache();
    const write = (at: number, s: string): void => u8.set(Buffer.from(s, 'latin1'), at);
    for (const at of [64, 65]) {
      write(at, 'X-Earmark-User');
      assert.equal(cache.get(u8, u32, fast, at, 14), 'X-Earmark-User');
      assert.equal(cache.getLower(u8, u32, fast, at, 14), 'x-earmark-user');
      write(at, 'X-Earmark-Usex'); // same address and length, last byte changed
      assert.equal(cache.get(u8, u32, fast, at, 14), 'X-Earmark-Usex');
      write(at, 'Y-Earmark-Usex'); // first byte changed (a word compare must see it)
      assert.equal(cache.getLower(u8, u32, fast, at, 14), 'y-earmark-usex');
      write(at, '\u00ff\u0000\u0080abcdefghijk');
      assert.equal(cache.get(u8, u32, fast, at, 14), '\u00ff\u0000\u0080abcdefghijk');
    }
  });
});
