/**
 * The worker's usage table (plugin/filter/usage.ts) under more users than it holds: it ships a
 * batch whenever it fills, and the batches, summed per user, must give back every count. The
 * batches are read straight off the shared queue (the sync root's side is covered by usage.test.ts).
 */
import { strict as assert } from 'node:assert';
import { startFilter } from './support/harness';
import { drainBatches, sumBatches, usageQueue, ZERO, type Counts } from './support/usage-batches';

describe('plugin: usage table', () => {
  it('loses no count when many more users than max_users fill it between flushes', async () => {
    const maxUsers = 16;
    const h = startFilter(
      { usage: { max_users: maxUsers, flush_ms: 600_000 }, max_user_id_bytes: 128 },
      { concurrency: 1 },
    );
    const token = usageQueue(h);
    h.envoy.advance(100); // the filter finds the queue on tick
    // Ids of every length up to the maximum (the table is sized for max_users of the longest).
    const users = Array.from({ length: 150 }, (_, i) => `u${i}-`.padEnd(1 + ((i * 37) % 128), 'x'));
    users.forEach((u, i) => {
      if (i % 3 !== 2) h.plant(u, { address: `10.0.0.${i}:80`, slots: 2, onExhausted: 'reject' });
    });
    const expected = new Map<string, Counts>(users.map((u) => [u, { ...ZERO }]));
    // Up to 8 streams stay open across the table's flushes, and count their bytes when they end.
    const open: { s: ReturnType<typeof h.request>; u: string }[] = [];
    let seed = 7;
    // The LCG's high bits: its low bits cycle with a short period (one parity of index only).
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16;
    const end = (k: number) => {
      const [{ s, u }] = open.splice(k, 1);
      s.finish();
      if (!s.localReply) expected.get(u)!.bytesIn += 3;
    };
    for (let r = 0; r < 3000; r++) {
      const i = next() % users.length;
      const u = users[i];
      const e = expected.get(u)!;
      const s = h.filter.newStream(0);
      s.sendRequestHeaders(
        { ':method': 'POST', ':path': '/', ':authority': 's', 'x-earmark-user': u },
        false,
      );
      e.requests++;
      if (i % 3 === 2) e.unreserved++;
      if (s.localReply?.status === 429) e.throttled++;
      else {
        if (i % 3 !== 2) e.admitted++;
        s.sendRequestBody('abc', true);
      }
      open.push({ s, u });
      if (open.length > 8) end(next() % open.length);
    }
    while (open.length > 0) end(0);
    assert.ok(
      [...expected.values()].some((c) => c.throttled > 0),
      'some requests found both slots taken',
    );
    h.envoy.advance(600_100); // the interval ends: the rest is shipped
    const batches = drainBatches(h, token);
    assert.ok(
      batches.length >= 3000 / maxUsers / 2,
      `only ${batches.length} batches: the table never filled`,
    );
    for (const [i, b] of batches.entries()) {
      assert.ok(b.users.size <= maxUsers, `batch ${i} has ${b.users.size} users`);
      if (i > 0) assert.equal(b.start, batches[i - 1].end, 'intervals follow each other');
    }
    const sum = sumBatches(batches);
    assert.ok(sum.size >= 140, `only ${sum.size} of 150 users sent requests`);
    assert.deepEqual(sum, new Map([...expected].filter(([, c]) => c.requests > 0)));
    await h.envoy.close();
  });
});
