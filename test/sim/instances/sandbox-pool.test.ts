import { strict as assert } from 'node:assert';
import { SandboxPool, type SandboxPoolOptions, type Ticket } from '../../../sim/instances/sandbox-pool';

const T0 = 1_000_000;
const MB_MS_PER_GB_HOUR = 1024 * 3_600_000;

function pool(o: Partial<SandboxPoolOptions> = {}): SandboxPool {
  return new SandboxPool({
    instances: [
      { id: 'a', memoryMb: 1000 },
      { id: 'b', memoryMb: 1000 },
    ],
    userMemoryMb: [100, 200, 600],
    coldStartMs: 500,
    keepAliveMs: 10_000,
    window: { fromMs: T0, toMs: T0 + 3_600_000 },
    ...o,
  });
}

describe('instance model (sandbox pool)', () => {
  it('makes the first request pay the cold start and the next, within keep-alive, none', () => {
    const p = pool();
    const a = p.request(0, T0, 50);
    assert.equal(a.kind, 'cold');
    assert.equal(a.coldMs, 500);
    assert.equal(a.capacityWaitMs, 0);
    assert.equal(a.endMs, T0 + 550);
    p.finish(a, a.endMs);
    const b = p.request(0, T0 + 5_000, 50);
    assert.equal(b.kind, 'kept');
    assert.equal(b.coldMs, 0);
    assert.equal(b.sandbox, a.sandbox);
  });

  it('releases a kept sandbox keep-alive after its last request, so a later request is cold again', () => {
    const p = pool();
    const a = p.request(0, T0, 50);
    p.finish(a, T0 + 550);
    assert.equal(p.nextEventMs(), T0 + 550 + 10_000);
    p.advance(T0 + 20_000);
    assert.equal(p.sandboxesOf(0).length, 0);
    assert.equal(p.used(0) + p.used(1), 0);
    assert.equal(p.request(0, T0 + 20_000, 50).kind, 'cold');
  });

  it('gives a concurrent request of the same user its own sandbox (one request per sandbox)', () => {
    const p = pool();
    const a = p.request(0, T0, 1000);
    const b = p.request(0, T0 + 10, 1000);
    assert.equal(b.kind, 'cold');
    assert.notEqual(a.sandbox, b.sandbox);
    assert.equal(p.sandboxesOf(0).length, 2);
  });

  it('serves at once from a reservation that had time to warm, and makes an early request wait the rest of the warm-up', () => {
    const p = pool();
    p.setReservation(1, 0, 2, T0);
    assert.equal(p.sandboxesOf(1).length, 2);
    assert.equal(p.used(0), 400);
    const early = p.request(1, T0 + 200, 10, 0);
    assert.equal(early.kind, 'warming');
    assert.equal(early.coldMs, 300);
    const late = p.request(1, T0 + 600, 10, 0);
    assert.equal(late.kind, 'reserved');
    assert.equal(late.coldMs, 0);
  });

  it('routes a request for an instance only to sandboxes on that instance', () => {
    const p = pool();
    p.setReservation(0, 1, 1, T0);
    const t = p.request(0, T0 + 1000, 10, 0);
    assert.equal(t.kind, 'cold');
    assert.equal(t.sandbox!.inst, 0);
  });

  it('lets sandboxes a shrunk reservation no longer holds fall back to keep-alive', () => {
    const p = pool();
    p.setReservation(0, -1, 3, T0);
    p.setReservation(0, -1, 1, T0 + 5_000);
    const boxes = p.sandboxesOf(0);
    assert.equal(boxes.filter((b) => b.reserved).length, 1);
    assert.equal(boxes.length, 3, 'idle ones stay warm until keep-alive after their readiness');
    p.advance(T0 + 500 + 10_000);
    assert.equal(p.sandboxesOf(0).length, 1);
    // Long unused: let go at once.
    p.setReservation(0, -1, 0, T0 + 60_000);
    assert.equal(p.sandboxesOf(0).length, 0);
  });

  it('makes a request wait when no instance has the memory, then starts it when memory frees', () => {
    const p = pool({ instances: [{ id: 'a', memoryMb: 1000 }] });
    const started: Ticket[] = [];
    p.onStart = (t) => started.push(t);
    const big = p.request(2, T0, 10_000); // 600 MB
    const other = p.request(1, T0, 10_000); // 200 MB
    const waits = p.request(1, T0 + 100, 100); // 200 more would be 1000 → fits exactly
    assert.equal(waits.kind, 'cold');
    const blocked = p.request(0, T0 + 200, 100); // 100 MB: nothing left
    assert.ok(blocked.waiting);
    p.finish(big, big.endMs);
    // Kept alive, the 600 MB sandbox still holds its memory: no eviction.
    assert.ok(blocked.waiting);
    p.advance(big.endMs + 10_000);
    assert.equal(started.length, 1);
    assert.equal(started[0], blocked);
    assert.equal(blocked.kind, 'cold');
    assert.equal(blocked.capacityWaitMs, big.endMs + 10_000 - (T0 + 200));
    void other;
  });

  it('with evictIdleKept, releases idle kept sandboxes (least recently used first) to make room, never reserved ones', () => {
    const p = pool({ instances: [{ id: 'a', memoryMb: 1000 }], evictIdleKept: true });
    const old = p.request(0, T0, 10); // 100 MB, idle first
    p.finish(old, old.endMs);
    const big = p.request(2, T0 + 100, 10); // 600 MB, idle later
    p.finish(big, big.endMs);
    p.request(1, T0 + 2000, 10_000); // 200 MB busy: 900 MB used
    const c = p.request(1, T0 + 2001, 10_000); // 200 more: only the LRU 100 MB sandbox goes
    assert.equal(c.kind, 'cold');
    assert.equal(c.capacityWaitMs, 0);
    assert.equal(p.counters.evicted, 1);
    assert.equal(p.sandboxesOf(0).length, 0);
    assert.equal(p.sandboxesOf(2).length, 1);

    const r = pool({ instances: [{ id: 'a', memoryMb: 1000 }], evictIdleKept: true });
    r.setReservation(2, 0, 1, T0); // 600 MB reserved, idle
    r.request(1, T0 + 2000, 10_000);
    r.request(1, T0 + 2001, 10_000); // 1000 MB used
    const w = r.request(0, T0 + 2002, 10);
    assert.ok(w.waiting, 'a reserved sandbox is never evicted');
    assert.equal(r.counters.evicted, 0);
  });

  it('hands a busy sandbox to a waiting request of the same user when it finishes', () => {
    const p = pool({ instances: [{ id: 'a', memoryMb: 600 }] });
    const a = p.request(2, T0, 1000);
    const w = p.request(2, T0 + 10, 1000);
    assert.ok(w.waiting);
    p.finish(a, a.endMs);
    assert.equal(w.kind, 'kept');
    assert.equal(w.capacityWaitMs, a.endMs - (T0 + 10));
    assert.equal(w.coldMs, 0);
  });

  it('gives up on a request that waited for capacity longer than the limit', () => {
    const p = pool({ instances: [{ id: 'a', memoryMb: 600 }], maxCapacityWaitMs: 5000 });
    const gaveUp: Ticket[] = [];
    p.onTimeout = (t) => gaveUp.push(t);
    p.request(2, T0, 60_000);
    const w = p.request(1, T0 + 1, 10);
    assert.equal(p.nextEventMs(), T0 + 1 + 5000);
    p.advance(T0 + 10_000);
    assert.deepEqual(gaveUp, [w]);
    assert.ok(w.timedOut);
    assert.equal(p.counters.capacityTimeouts, 1);
  });

  it('counts cold starts and capacity waits of requests routed to one instance apart from the rest', () => {
    const p = pool();
    p.setReservation(1, 0, 1, T0);
    const busy = p.request(2, T0, 60_000, 0); // 600 MB on a: 200 left there, a reservation's overflow
    const cold = p.request(1, T0 + 1000, 60_000, 0); // the reserved sandbox
    const over = p.request(1, T0 + 1000, 60_000, 0); // a's last 200 MB
    const stuck = p.request(1, T0 + 1000, 60_000, 0); // nothing left on a, though b is empty
    const anywhere = p.request(0, T0 + 1000, 60_000);
    assert.deepEqual([busy.kind, cold.kind, over.kind, anywhere.kind], ['cold', 'reserved', 'cold', 'cold']);
    assert.ok(stuck.waiting);
    const c = p.counters;
    assert.deepEqual([c.cold, c.coldTargeted, c.capacityWaits, c.capacityWaitsTargeted], [3, 2, 1, 1]);
  });

  it('places a reservation as soon as memory frees when it did not fit', () => {
    const p = pool({ instances: [{ id: 'a', memoryMb: 700 }] });
    const a = p.request(2, T0, 100);
    p.setReservation(1, 0, 1, T0 + 10);
    assert.equal(p.counters.reservationDeficits, 1);
    assert.equal(p.sandboxesOf(1).length, 0);
    p.finish(a, a.endMs);
    p.advance(a.endMs + 10_000);
    assert.equal(p.sandboxesOf(1).filter((b) => b.reserved).length, 1);
  });

  it('counts the memory owed to a reservation it could not start, until it starts', () => {
    const p = pool({ instances: [{ id: 'a', memoryMb: 700 }] });
    const a = p.request(2, T0, 100); // 600 MB busy: 100 MB left
    p.setReservation(1, 0, 2, T0 + 10); // two sandboxes of 200 MB, neither fits
    assert.equal(p.owed(0), 400);
    p.finish(a, a.endMs);
    p.advance(a.endMs + 10_000); // the kept sandbox expires and the reservation starts
    assert.equal(p.sandboxesOf(1).filter((b) => b.reserved).length, 2);
    assert.equal(p.owed(0), 0);
  });

  it('charges held memory from warm-up start to release, split by reservation and keep-alive', () => {
    const p = pool();
    const a = p.request(0, T0, 1000); // 100 MB sandbox, created at T0
    p.finish(a, T0 + 1500);
    p.advance(T0 + 100_000); // released at T0 + 1500 + 10 000
    p.setReservation(1, 0, 1, T0 + 200_000); // 200 MB from T0 + 200 s
    p.setReservation(1, 0, 0, T0 + 260_000); // unreserved: idle since its readiness, so released now
    p.close(T0 + 3_600_000);
    const kept = 100 * 11_500;
    const reserved = 200 * 60_000;
    assert.equal(p.held.keptMbMs, kept);
    assert.equal(p.held.reservedMbMs, reserved);
    assert.ok(Math.abs(p.held.gbHours() - (kept + reserved) / MB_MS_PER_GB_HOUR) < 1e-12);
    assert.deepEqual(
      p.held.gbHoursByUser().map((x) => +x.toFixed(9)),
      [kept / MB_MS_PER_GB_HOUR, reserved / MB_MS_PER_GB_HOUR, 0].map((x) => +x.toFixed(9)),
    );
  });

  it('counts only what is held inside the accounting window', () => {
    const p = pool({ window: { fromMs: T0 + 1000, toMs: T0 + 2000 } });
    p.setReservation(0, -1, 1, T0);
    p.close(T0 + 10_000);
    assert.equal(p.held.reservedMbMs, 100 * 1000);
    assert.equal(p.held.bins.length, 1);
  });
});
