/**
 * Streams carried over an in-place reconfiguration (FilterRoot.handOver) keep a cached offset of
 * their user's entry in the usage table. The new table must never accept that offset: before
 * table generations were unique across tables, both tables started at generation 1, so the
 * carried stream wrote its counters at an old offset into the new batch (a malformed batch, or
 * another user's counters, or past the new buffer when max_users shrank).
 */
import { strict as assert } from 'node:assert';
import { configureRoot } from '../../wasm-host/root-callbacks';
import { startFilter, type Harness } from './support/harness';
import { drainBatches, sumBatches, usageQueue } from './support/usage-batches';

function setup(config: Record<string, unknown>): { h: Harness; token: number } {
  const h = startFilter(config, { concurrency: 1 });
  const token = usageQueue(h);
  h.envoy.advance(100); // the filter finds the queue on tick
  return { h, token };
}

/** on_configure again on the same root context. */
function reconfigure(h: Harness, config: Record<string, unknown>): void {
  const spec = h.filter.spec as { configuration: Uint8Array };
  spec.configuration = new TextEncoder().encode(JSON.stringify(config));
  const handle = h.filter.handles[0];
  assert.ok(configureRoot(handle.vm!, handle.root!, h.filter.spec), 'reconfigured');
}

function open(h: Harness, user: string) {
  const s = h.filter.newStream(0);
  s.sendRequestHeaders({ ':method': 'POST', ':path': '/', ':authority': 's', 'x-earmark-user': user }, false);
  return s;
}

describe('plugin: usage table across an in-place reconfiguration', () => {
  it('a carried stream counts its bytes for its own user in a well-formed batch', async () => {
    const cfg = { usage: { max_users: 16, flush_ms: 600_000 } };
    const { h, token } = setup(cfg);
    open(h, 'x'.repeat(10)).finish(); // the old table's first entry: 24 + 2 + 10 + 60 = 96 bytes
    const carried = open(h, 'victim'); // its counters at 96 + 2 + 6 = 104 in the old batch
    reconfigure(h, cfg);
    // In the new batch, the entry after a 54-byte id starts at 24 + 2 + 54 + 60 = 140 = 104 + 36,
    // where a stale write of bytes_in (counters + 36) would land on its length field.
    open(h, 'A'.repeat(54)).finish();
    open(h, 'B').finish();
    carried.sendRequestBody('abc', true);
    carried.finish();
    h.envoy.advance(600_100);
    const sum = sumBatches(drainBatches(h, token)); // drainBatches checks the framing
    assert.equal(sum.get('victim')?.bytesIn, 3);
    assert.equal(sum.get('B')?.requests, 1);
    assert.equal(sum.get('B')?.bytesIn, 0);
    await h.envoy.close();
  });

  it('nor after as many flushes of the new table as the old one had', async () => {
    const cfg = { usage: { max_users: 16, flush_ms: 100 } };
    const { h, token } = setup(cfg);
    for (let i = 0; i < 5; i++) {
      open(h, `old${i}`).finish();
      h.envoy.advance(100);
    }
    const carried = open(h, 'victim');
    reconfigure(h, cfg);
    for (let i = 0; i < 5; i++) {
      open(h, `new${i}`).finish();
      h.envoy.advance(100);
    }
    open(h, 'someone-else').finish();
    carried.sendRequestBody('abc', true);
    carried.finish();
    h.envoy.advance(200);
    const sum = sumBatches(drainBatches(h, token));
    const other = sum.get('someone-else');
    assert.equal(other?.requests, 1);
    assert.equal(other?.redirected, 0);
    assert.equal(other?.bytesIn, 0);
    assert.equal(sum.get('victim')?.bytesIn, 3);
    await h.envoy.close();
  });

  it('a carried id longer than the new max_user_id_bytes ships early instead of overrunning', async () => {
    const { h, token } = setup({
      usage: { max_users: 16, flush_ms: 600_000 },
      max_user_id_bytes: 256,
    });
    const long = 'L'.repeat(256);
    const carried = open(h, long);
    reconfigure(h, { usage: { max_users: 16, flush_ms: 600_000 }, max_user_id_bytes: 16 });
    const users = Array.from({ length: 15 }, (_, i) => `s${i}`.padEnd(16, '.'));
    for (const u of users) open(h, u).finish();
    carried.sendRequestBody('abcd', true);
    carried.finish(); // 15 entries of 78 bytes leave no room for 318 more: flush first, then fits
    for (const u of users) open(h, u).finish();
    h.envoy.advance(600_100);
    const batches = drainBatches(h, token);
    const sum = sumBatches(batches);
    assert.equal(sum.get(long)?.bytesIn, 4);
    assert.ok(
      batches.some((b) => b.users.size === 15 && !b.users.has(long)),
      'the 15 short ids shipped before the long one',
    );
    for (const u of users) assert.equal(sum.get(u)?.requests, 2, u);
    await h.envoy.close();
  });

  it('gives the replaced table back: 40 more reconfigurations grow no Wasm memory', async () => {
    const cfg = { usage: { max_users: 4096, flush_ms: 600_000 } }; // ~840 KB of table
    const { h } = setup(cfg);
    const vm = h.filter.vm(0);
    for (let i = 0; i < 5; i++) reconfigure(h, cfg);
    const before = vm.memoryBytes();
    for (let i = 0; i < 40; i++) {
      open(h, `u${i}`).finish();
      reconfigure(h, cfg);
    }
    assert.equal(vm.memoryBytes(), before);
    await h.envoy.close();
  });
});
