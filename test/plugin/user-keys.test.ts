/**
 * A user's record key and usage entry are per id: ids that differ only in their last bytes, at
 * every alignment of the id behind the key prefix, through one pooled stream; two ids with the
 * same 32-bit id hash (the usage index must tell them apart by its byte compare); and a pooled
 * stream's key across an in-place prefix change (a slot goes back under the prefix it was taken
 * with, the next request uses the new one). From the review of 4045a3e/766efe4.
 */
import { strict as assert } from 'node:assert';
import { configureRoot } from '../../wasm-host/root-callbacks';
import { keys, encodeRecord, decodeRecord, inFlightOf } from './support/records';
import { startFilter, VM_ID, type Harness } from './support/harness';
import { drainBatches, sumBatches, usageQueue } from './support/usage-batches';

function reconfigure(h: Harness, config: Record<string, unknown>): void {
  const spec = h.filter.spec as { configuration: Uint8Array };
  spec.configuration = new TextEncoder().encode(JSON.stringify(config));
  const handle = h.filter.handles[0];
  assert.ok(configureRoot(handle.vm!, handle.root!, h.filter.spec), 'reconfigured');
}

describe('plugin: user keys, ids differing in their last bytes, every alignment', () => {
  for (const prefix of ['p', 'pp', 'ppp', 'pppp', 'ppppp', 'pppppp', 'ppppppp', 'pppppppp']) {
    it(`prefix of ${prefix.length}: keys and usage entries are per id`, async () => {
      const cfg = {
        key_prefix: prefix,
        usage: { max_users: 1024, flush_ms: 600_000 },
        max_user_id_bytes: 64,
      };
      const h = startFilter(cfg, { concurrency: 1 });
      const token = usageQueue(h);
      h.envoy.advance(100);
      const users: string[] = [];
      for (let n = 1; n <= 24; n++) {
        const base = 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, n);
        for (let back = 1; back <= Math.min(n, 8); back++) {
          const u = base.slice(0, n - back) + 'Z' + base.slice(n - back + 1);
          users.push(u);
        }
        users.push(base);
      }
      const uniq = [...new Set(users)];
      uniq.forEach((u, i) => h.plant(u, { address: `10.${i >> 8}.${i & 255}.1:80`, slots: 1 }));
      // long then short ids through the same pooled stream, twice, in two orders
      const order = [...uniq, ...[...uniq].reverse()];
      for (const u of order) {
        const i = uniq.indexOf(u);
        const s = h.request(u);
        assert.equal(s.requestHeaders.get('x-earmark-instance'), `10.${i >> 8}.${i & 255}.1:80`, u);
        assert.equal(inFlightOf(h.record(u)), 1, u);
        s.finish();
        assert.equal(inFlightOf(h.record(u)), 0, u);
      }
      h.envoy.advance(600_100);
      const sum = sumBatches(drainBatches(h, token));
      for (const u of uniq) assert.equal(sum.get(u)?.requests, 2, `${u} requests`);
      assert.equal(sum.size, uniq.length);
      await h.envoy.close();
    });
  }
});

describe('plugin: user keys across an in-place prefix change', () => {
  for (const [a, b] of [
    ['earmark/', 'x/'],
    ['x/', 'p'.repeat(64)],
    ['aaaa/', 'bbbb/'],
  ]) {
    it(`${a.slice(0, 8)} -> ${b.slice(0, 8)}`, async () => {
      const h = startFilter({ key_prefix: a }, { concurrency: 1 });
      const kb = keys(b);
      h.envoy.sharedData.set(VM_ID, kb.meta, h.envoy.sharedData.get(VM_ID, h.k.meta)!.value);
      const plantB = (u: string, addr: string) =>
        h.envoy.sharedData.set(
          VM_ID,
          kb.record(u),
          encodeRecord({ address: addr, slots: 2 }, { updatedMs: h.envoy.clock.now() }),
        );
      const recB = (u: string) => decodeRecord(h.envoy.sharedData.get(VM_ID, kb.record(u))!.value);
      h.plant('alice', { address: '10.0.0.1:80', slots: 2 });
      plantB('alice', '10.0.0.2:80');
      plantB('bob-the-longer-user', '10.0.0.3:80');
      const s1 = h.request('alice');
      assert.equal(s1.requestHeaders.get('x-earmark-instance'), '10.0.0.1:80');
      assert.equal(inFlightOf(h.record('alice')), 1);
      reconfigure(h, { key_prefix: b });
      s1.finish(); // released under the prefix it was taken with
      assert.equal(inFlightOf(h.record('alice')), 0, 'A slot given back');
      assert.equal(inFlightOf(recB('alice')), 0, 'B untouched');
      for (const [u, addr] of [
        ['bob-the-longer-user', '10.0.0.3:80'],
        ['alice', '10.0.0.2:80'],
      ]) {
        const s = h.request(u);
        assert.equal(s.requestHeaders.get('x-earmark-instance'), addr, u);
        assert.equal(inFlightOf(recB(u)), 1, `${u} B slot`);
        s.finish();
        assert.equal(inFlightOf(recB(u)), 0, `${u} B slot back`);
      }
      assert.equal(inFlightOf(h.record('alice')), 0);
      await h.envoy.close();
    });
  }
});

describe('plugin: usage index on an id hash collision', () => {
  it('ids with equal hashes, differing in the last byte, keep separate entries', async () => {
    // Found by search: equal hashShort values, the ids differ only in their last byte.
    const a = 'nOV100007';
    const b = 'nOV10000~';
    const h = startFilter({ usage: { max_users: 16, flush_ms: 600_000 } }, { concurrency: 1 });
    const token = usageQueue(h);
    h.envoy.advance(100);
    for (const u of [a, b, b, a, b]) h.request(u).finish();
    h.envoy.advance(600_100);
    const sum = sumBatches(drainBatches(h, token));
    assert.equal(sum.get(a)?.requests, 2);
    assert.equal(sum.get(b)?.requests, 3);
    await h.envoy.close();
  });
});
