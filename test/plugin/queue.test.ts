/**
 * The per-worker wait queue on the compiled filter: priority order, arrival order within a
 * priority, timeouts (fallback or 429), maximum depth with eviction of the least important, and
 * that only the worker that paused a request resumes it.
 */
import { strict as assert } from 'node:assert';
import type { HttpStream } from '../../wasm-host';
import { type Harness, replyJson, startFilter } from './support/harness';

describe('plugin: wait queue', () => {
  let h: Harness;
  afterEach(async () => h && (await h.envoy.close()));

  const queueOf = (user: string, priority: number, maxQueueWaitMs = 10_000, fallback?: string) =>
    h.plant(user, {
      address: `10.1.0.${priority}:80`,
      slots: 1,
      onExhausted: 'queue',
      priority,
      maxQueueWaitMs,
      fallback,
    });

  /** Holds the user's only slot, then queues one request of theirs. */
  const waiter = (user: string, worker = 0): HttpStream => {
    assert.equal(h.request(user, worker).lastStatus, 'Continue');
    const s = h.request(user, worker);
    assert.equal(s.lastStatus, 'StopAllIterationAndWatermark', `${user} queued`);
    return s;
  };

  /** Frees every slot behind the filter's back, as streams ending on another proxy would. */
  const freeAll = (...users: string[]) => {
    for (const u of users) {
      const r = h.record(u)!;
      assert.ok(!r.withdrawn);
      h.plant(u, r, { inFlight: 0 });
    }
  };

  it('resumes waiters by priority, highest first, one per tick when the retry budget is 1', () => {
    h = startFilter({ queue: { retries_per_tick: 1 } });
    queueOf('lo', 1);
    queueOf('hi', 9);
    queueOf('mid', 5);
    const lo = waiter('lo');
    const hi = waiter('hi');
    const mid = waiter('mid');
    freeAll('lo', 'hi', 'mid');
    const order: string[] = [];
    for (let t = 0; t < 3; t++) {
      h.envoy.advance(100);
      for (const [name, s] of [
        ['lo', lo],
        ['hi', hi],
        ['mid', mid],
      ] as const)
        if (s.requestContinued && !order.includes(name)) order.push(name);
    }
    assert.deepEqual(order, ['hi', 'mid', 'lo']);
    assert.equal(hi.requestHeaders.get('x-earmark-instance'), '10.1.0.9:80');
  });

  it('keeps arrival order within one priority', () => {
    h = startFilter({ queue: { retries_per_tick: 1 } });
    for (const u of ['first', 'second', 'third'])
      h.plant(u, { address: `${u}:80`, slots: 1, onExhausted: 'queue', priority: 3, maxQueueWaitMs: 10_000 });
    const waiters = ['first', 'second', 'third'].map((u) => [u, waiter(u)] as const);
    freeAll('first', 'second', 'third');
    const order: string[] = [];
    for (let t = 0; t < 3; t++) {
      h.envoy.advance(100);
      for (const [u, s] of waiters) if (s.requestContinued && !order.includes(u)) order.push(u);
    }
    assert.deepEqual(order, ['first', 'second', 'third']);
  });

  it('gives up after max_queue_wait_ms: 429 queue_timeout without a fallback', () => {
    h = startFilter();
    queueOf('alice', 1, 500);
    const s = waiter('alice');
    h.envoy.advance(400);
    assert.equal(s.localReply?.status, undefined);
    assert.equal(s.requestContinued, false);
    h.envoy.advance(200);
    assert.equal(s.localReply?.status, 429);
    assert.equal(replyJson(s).error, 'queue_timeout');
    assert.equal(h.metric('earmark_queue_timeouts'), 1);
    const wait = h.envoy.metrics.histogram('earmark_queue_wait_ms');
    assert.equal(wait?.count, 1);
  });

  it('gives up after max_queue_wait_ms: to the fallback when there is one', () => {
    h = startFilter();
    queueOf('alice', 1, 500, '10.9.9.9:80');
    const s = waiter('alice');
    h.envoy.advance(600);
    assert.equal(s.requestContinued, true);
    assert.equal(s.requestHeaders.get('x-earmark-instance'), '10.9.9.9:80');
  });

  it('is admitted at its last try if a slot freed just before the deadline', () => {
    h = startFilter({ queue: { retries_per_tick: 1 } });
    queueOf('a', 5, 10_000);
    queueOf('b', 1, 150);
    waiter('a');
    const b = waiter('b');
    freeAll('b');
    // The budget of 1 is spent on the more important 'a' (still exhausted) at each tick; 'b'
    // still gets its final attempt when it expires.
    h.envoy.advance(200);
    assert.equal(b.requestContinued, true);
    assert.equal(b.requestHeaders.get('x-earmark-instance'), '10.1.0.1:80');
  });

  it('at max depth refuses an equal priority (queue_full) and evicts a lower one for a higher', () => {
    h = startFilter({ queue: { max_depth: 2 } });
    queueOf('a', 2);
    queueOf('b', 2);
    queueOf('c', 2);
    queueOf('vip', 8);
    const a = waiter('a');
    const b = waiter('b');
    h.request('c');
    const c = h.request('c');
    assert.equal(c.localReply?.status, 429);
    assert.equal(replyJson(c).error, 'queue_full');
    h.request('vip');
    const vip = h.request('vip');
    assert.equal(vip.lastStatus, 'StopAllIterationAndWatermark', 'the VIP waits');
    assert.equal(b.localReply?.status, 429, 'the newest of the least important was evicted');
    assert.equal(replyJson(b).error, 'queue_full');
    assert.equal(a.localReply, undefined);
    assert.equal(h.metric('earmark_queue_overflows'), 2);
  });

  it('only the worker that paused a request resumes it (on its tick, not at once)', () => {
    h = startFilter({ tick_ms: 1000 });
    queueOf('alice', 1);
    const holder = h.request('alice', 1);
    const waiting = h.request('alice', 0);
    assert.equal(waiting.lastStatus, 'StopAllIterationAndWatermark');
    holder.finish(); // worker 1 gives the slot back; worker 0's queue is not its to walk
    h.envoy.drain();
    assert.equal(waiting.requestContinued, false);
    h.envoy.advance(1000);
    assert.equal(waiting.requestContinued, true);
    assert.equal(waiting.requestHeaders.get('x-earmark-instance'), '10.1.0.1:80');
  });

  it('forgets a waiter whose stream is reset, and the depth gauge follows', () => {
    h = startFilter();
    queueOf('alice', 1);
    const s = waiter('alice');
    assert.equal(h.metric('earmark_queue_depth'), 1);
    s.reset();
    assert.equal(h.metric('earmark_queue_depth'), 0);
    h.envoy.advance(20_000);
    assert.equal(s.localReply, undefined, 'nothing is sent to a reset stream');
  });

  it('sums the depth of several workers in one gauge', () => {
    h = startFilter();
    queueOf('alice', 1);
    queueOf('bob', 1);
    waiter('alice', 0);
    waiter('bob', 1);
    assert.equal(h.metric('earmark_queue_depth'), 2);
  });
});
