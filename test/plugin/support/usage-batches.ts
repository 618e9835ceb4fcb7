/**
 * Reads the filter's usage batches ("EMU1", plugin/README.md "Usage batch") straight off the
 * shared queue, checking their framing exactly, and sums them per user.
 */
import { strict as assert } from 'node:assert';
import type { Harness } from './harness';

export interface Counts {
  requests: number;
  admitted: number;
  throttled: number;
  redirected: number;
  unreserved: number;
  bytesIn: number;
}

export interface Batch {
  start: number;
  end: number;
  users: Map<string, Counts>;
}

export const ZERO: Counts = {
  requests: 0,
  admitted: 0,
  throttled: 0,
  redirected: 0,
  unreserved: 0,
  bytesIn: 0,
};

export function decodeBatch(bytes: Uint8Array): Batch {
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
    assert.ok(p + 2 <= b.length, `entry ${i}: no length`);
    const n = b.readUInt16LE(p);
    assert.ok(p + 2 + n + 60 <= b.length, `entry ${i}: length ${n} runs past the end`);
    const user = b.toString('utf8', p + 2, p + 2 + n);
    const c = p + 2 + n;
    assert.ok(!batch.users.has(user), `${user} twice in one batch`);
    batch.users.set(user, {
      requests: b.readUInt32LE(c),
      admitted: b.readUInt32LE(c + 4),
      throttled: b.readUInt32LE(c + 24),
      redirected: b.readUInt32LE(c + 28),
      unreserved: b.readUInt32LE(c + 56),
      bytesIn: Number(b.readBigUInt64LE(c + 36)),
    });
    p = c + 60;
  }
  assert.equal(p, b.length, 'the batch ends after its last entry');
  return batch;
}

/** A consumer of the usage queue, registered as the sync root would (call before the first tick). */
export function usageQueue(h: Harness): number {
  return h.envoy.sharedQueues.register('earmark', h.k.usageQueue, {
    vmKey: 'test',
    contextId: 0,
    post: () => undefined,
    notify: () => undefined,
  });
}

export function drainBatches(h: Harness, token: number): Batch[] {
  const out: Batch[] = [];
  for (
    let m = h.envoy.sharedQueues.dequeue(token);
    typeof m !== 'number';
    m = h.envoy.sharedQueues.dequeue(token)
  )
    out.push(decodeBatch(m));
  return out;
}

export function sumBatches(batches: Batch[]): Map<string, Counts> {
  const sum = new Map<string, Counts>();
  for (const b of batches)
    for (const [u, c] of b.users) {
      const t = sum.get(u) ?? { ...ZERO };
      for (const k of Object.keys(t) as (keyof Counts)[]) t[k] += c[k];
      sum.set(u, t);
    }
  return sum;
}
