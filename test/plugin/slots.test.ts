/**
 * Slot accounting on the compiled filter: the in-flight counters in shared data are shared by all
 * workers and always come back to zero, whether streams finish, are reset mid-flight or while
 * queued, get a local reply, or race other workers; stale counters of a dead VM are reclaimed.
 */
import { strict as assert } from 'node:assert';
import type { HttpStream } from '../../wasm-host';
import { type Harness, startFilter } from './support/harness';
import { decodeLive, inFlightOf } from './support/records';

describe('plugin: slot accounting', () => {
  let h: Harness;
  afterEach(async () => h && (await h.envoy.close()));

  const inFlight = (user: string): number => inFlightOf(h.record(user), `${user} has a record`);

  it('gives the slot back when the stream completes', () => {
    h = startFilter();
    h.plant('alice', { address: '10.0.0.5:80', slots: 3 });
    const s = h.request('alice');
    assert.equal(inFlight('alice'), 1);
    s.sendResponseHeaders({ ':status': '200' }, false);
    s.sendResponseBody('hello', true);
    s.finish();
    assert.equal(inFlight('alice'), 0);
  });

  it('gives the slot back when the downstream resets before the response', () => {
    h = startFilter();
    h.plant('alice', { address: '10.0.0.5:80', slots: 1, onExhausted: 'reject' });
    h.request('alice').reset();
    assert.equal(inFlight('alice'), 0);
    assert.equal(h.request('alice').lastStatus, 'Continue', 'the slot is usable again');
  });

  it('counts one reservation across workers', () => {
    h = startFilter({}, { concurrency: 3 });
    h.plant('alice', { address: '10.0.0.5:80', slots: 2, onExhausted: 'reject' });
    const a = h.request('alice', 0);
    const b = h.request('alice', 1);
    const c = h.request('alice', 2);
    assert.equal(a.lastStatus, 'Continue');
    assert.equal(b.lastStatus, 'Continue');
    assert.equal(c.localReply?.status, 429);
    assert.equal(inFlight('alice'), 2);
    b.finish();
    assert.equal(h.request('alice', 2).lastStatus, 'Continue');
  });

  it('a withdrawn reservation takes its slots with it; the release does not fail', () => {
    h = startFilter();
    h.plant('alice', { address: '10.0.0.5:80', slots: 1 });
    const s = h.request('alice');
    h.envoy.sharedData.set('earmark', h.k.record('alice'), new Uint8Array([0x45, 0x4d, 1, 2, 0, 0, 0, 0]));
    s.finish();
    assert.deepEqual(h.record('alice'), { withdrawn: true });
    assert.deepEqual(h.problems(), []);
  });

  it('reclaims the slots of a record untouched for slot_lease_ms (a VM that died holding them)', () => {
    h = startFilter({ slot_lease_ms: 60_000 });
    const now = h.envoy.clock.now();
    h.plant(
      'alice',
      { address: '10.0.0.5:80', slots: 2, onExhausted: 'reject' },
      { inFlight: 2, updatedMs: now - 60_001 },
    );
    const s = h.request('alice');
    assert.equal(s.lastStatus, 'Continue');
    assert.equal(inFlight('alice'), 1);
  });

  it('keeps the pool of unreserved users balanced', () => {
    h = startFilter({ unreserved: { slots: 2, on_exhausted: 'reject' } });
    const a = h.request('u1', 0);
    const b = h.request('u2', 1);
    assert.equal(h.request('u3').localReply?.status, 429);
    a.reset();
    b.finish();
    const pool = decodeLive(h.envoy.sharedData.get('earmark', h.k.pool)!.value)!;
    assert.equal(pool.inFlight, 0);
  });

  it('never leaks over a random mix of admits, queueing, timeouts, completions and resets', () => {
    h = startFilter(
      { unreserved: { slots: 3, on_exhausted: 'queue', max_queue_wait_ms: 300 }, queue: { max_depth: 8 } },
      {
        concurrency: 3,
      },
    );
    const users = ['u0', 'u1', 'u2', 'u3'];
    users.forEach((u, i) =>
      h.plant(u, {
        address: `10.0.0.${i}:80`,
        slots: 2,
        onExhausted: (['queue', 'reject', 'top_up', 'redirect'] as const)[i],
        maxQueueWaitMs: 250,
        fallback: i === 3 ? 'spill:80' : undefined,
      }),
    );
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const open: HttpStream[] = [];
    for (let step = 0; step < 1500; step++) {
      const op = rnd(10);
      if (op < 5) {
        const user = rnd(6) < 4 ? users[rnd(4)] : `guest${rnd(5)}`;
        open.push(h.request(user, rnd(3)));
      } else if (op < 8 && open.length) {
        const s = open.splice(rnd(open.length), 1)[0];
        if (op === 7) s.reset();
        else s.finish();
      } else {
        h.envoy.advance(rnd(120));
      }
    }
    for (const s of open) {
      if (rnd(2)) s.reset();
      else s.finish();
    }
    h.envoy.advance(1000);
    for (const u of users) assert.equal(inFlight(u), 0, `${u} has nothing in flight`);
    assert.equal(decodeLive(h.envoy.sharedData.get('earmark', h.k.pool)!.value)!.inFlight, 0);
    assert.equal(h.metric('earmark_queue_depth'), 0);
    assert.ok(h.metric('earmark_requests_queued') > 0, 'the mix did exercise the queue');
    assert.ok(h.envoy.metrics.get('earmark_queue_timeouts')! > 0, 'and its timeouts');
    assert.deepEqual(h.problems(), []);
  });
});
