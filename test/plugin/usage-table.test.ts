/**
 * The worker's usage table (plugin/filter/usage.ts) under more users than it holds: it ships a
 * batch whenever it fills, and the batches, summed per user, must give back every count. The
 * batches are read straight off the shared queue (the sync root's side is covered by usage.test.ts).
 */
import { strict as assert } from 'node:assert';
import { startFilter } from './support/harness';

interface Counts {
  requests: number;
  admitted: number;
  throttled: number;
  unreserved: number;
  bytesIn: number;
}

interface Batch {
  start: number;
  end: number;
  users: Map<string, Counts>;
}

/** Decodes one "EMU1" batch (plugin/README.md, "Usage batch"), checking its framing exactly. */
function decodeBatch(bytes: Uint8Array): Batch {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(b.readUInt32LE(0), 0x31554d45, 'magic');
  const count = b.readUInt32LE(4);
  const batch: Batch = {
    start: Number(b.readBigUInt64LE(8)),
    end: Number(b.readBigUInt64LE(16)),
    users: new Map(),
  };
  let p = 24;
  for (let i = 0; i < count; i++) {
    const n = b.readUInt16LE(p);
    const user = b.toString('utf8', p + 2, p + 2 + n);
    const c = p + 2 + n;
    assert.ok(!batch.users.has(user), `${user} twice in one batch`);
    batch.users.set(user, {
      requests: b.readUInt32LE(c),
      admitted: b.readUInt32LE(c + 4),
      throttled: b.readUInt32LE(c + 24),
      unreserved: b.readUInt32LE(c + 56),
      bytesIn: Number(b.readBigUInt64LE(c + 36)),
    });
    p = c + 60;
  }
  assert.equal(p, b.length, 'the batch ends after its last entry');
  return batch;
}

const ZERO: Counts = { requests: 0, admitted: 0, throttled: 0, unreserved: 0, bytesIn: 0 };

describe('plugin: usage table', () => {
  it('loses no count when many more users than max_users fill it between flushes', async () => {
    const maxUsers = 16;
    const h = startFilter(
      { usage: { max_users: maxUsers, flush_ms: 600_000 }, max_user_id_bytes: 128 },
      { concurrency: 1 },
    );
    const token = h.envoy.sharedQueues.register('earmark', h.k.usageQueue, {
      vmKey: 'test',
      contextId: 0,
      post: () => undefined,
      notify: () => undefined,
    });
    h.envoy.advance(100); // the filter finds the queue on tick
    // Ids of every length up to the maximum, so the table also fills by bytes at its longest ids.
    const users = Array.from({ length: 150 }, (_, i) => `u${i}-`.padEnd(1 + ((i * 37) % 128), 'x'));
    users.forEach((u, i) => {
      if (i % 3 !== 2) h.plant(u, { address: `10.0.0.${i}:80`, slots: 2, onExhausted: 'reject' });
    });
    const expected = new Map<string, Counts>(users.map((u) => [u, { ...ZERO }]));
    // Up to 8 streams stay open across the table's flushes, and count their bytes when they end.
    const open: { s: ReturnType<typeof h.request>; u: string }[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
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
    const batches: Batch[] = [];
    for (
      let m = h.envoy.sharedQueues.dequeue(token);
      typeof m !== 'number';
      m = h.envoy.sharedQueues.dequeue(token)
    )
      batches.push(decodeBatch(m));
    assert.ok(
      batches.length >= 3000 / maxUsers / 2,
      `only ${batches.length} batches: the table never filled`,
    );
    const sum = new Map<string, Counts>();
    for (const [i, b] of batches.entries()) {
      assert.ok(b.users.size <= maxUsers, `batch ${i} has ${b.users.size} users`);
      if (i > 0) assert.equal(b.start, batches[i - 1].end, 'intervals follow each other');
      for (const [u, c] of b.users) {
        const t = sum.get(u) ?? { ...ZERO };
        for (const k of Object.keys(t) as (keyof Counts)[]) t[k] += c[k];
        sum.set(u, t);
      }
    }
    assert.deepEqual(sum, new Map([...expected].filter(([, c]) => c.requests > 0)));
    await h.envoy.close();
  });
});
