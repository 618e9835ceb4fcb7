/**
 * The companion instances of the end-to-end benchmark, as a serverless platform sees them: a few
 * instances with finite memory, on which each user's requests run in sandboxes of that user (one
 * request at a time per sandbox, holding the user's memory while it exists).
 *
 * A request takes, in this order: an idle warm sandbox of its user (held by a reservation, or kept
 * alive after an earlier request), a sandbox still warming for a reservation (it waits the rest of
 * the warm-up), or a new sandbox (it pays the whole cold start). A new sandbox needs free memory on
 * an instance. Memory a sandbox holds is held: kept-alive sandboxes are not evicted to make room
 * (keep-alive is a reservation made by the first request) unless `evictIdleKept` lets the platform
 * release idle ones, least recently used first; when nothing fits, the request waits
 * for capacity, first come first served, up to `maxCapacityWaitMs` (then the platform gives up on
 * it: it is not served). A sandbox that no reservation holds is released
 * `keepAliveMs` after its last request. Every policy of the benchmark runs on this one model; only
 * what it reserves, when, and how long it keeps sandboxes alive differ. Time is simulated
 * milliseconds and only moves forward.
 *
 * This file decides which sandbox a request or a reservation gets; sandbox-store.ts keeps the
 * sandboxes, the memory they hold, their keep-alive expiries and eviction.
 */
import type { HeldMemory } from './held-memory';
import {
  DEFAULT_MAX_CAPACITY_WAIT_MS,
  Ticket,
  type PoolCounters,
  type PoolInstance,
  type Sandbox,
  type SandboxPoolOptions,
  type StartKind,
} from './sandbox';
import { SandboxStore } from './sandbox-store';

export {
  DEFAULT_MAX_CAPACITY_WAIT_MS,
  Ticket,
  type PoolCounters,
  type PoolInstance,
  type Sandbox,
  type SandboxPoolOptions,
  type StartKind,
};

export class SandboxPool {
  readonly counters: PoolCounters = {
    created: 0,
    released: 0,
    cold: 0,
    coldNoSandbox: 0,
    coldAllBusy: 0,
    coldReserved: 0,
    coldTargeted: 0,
    warming: 0,
    capacityWaits: 0,
    capacityWaitsTargeted: 0,
    capacityTimeouts: 0,
    evicted: 0,
    reservationDeficits: 0,
  };
  /** Called when a request that waited for capacity gets its sandbox. */
  onStart: ((t: Ticket) => void) | undefined;
  /** Called when the platform gives up on a request waiting for capacity. */
  onTimeout: ((t: Ticket) => void) | undefined;
  private readonly store: SandboxStore;
  private readonly waiters: Ticket[] = [];
  private readonly resInst: Int32Array;
  private readonly resSlots: Int32Array;
  private readonly deficit = new Set<number>();
  private settling = false;

  constructor(private readonly o: SandboxPoolOptions) {
    if (o.instances.length === 0) throw new Error('the pool needs at least one instance');
    const users = o.userMemoryMb.length;
    this.store = new SandboxStore(o, this.counters);
    this.resInst = new Int32Array(users).fill(-1);
    this.resSlots = new Int32Array(users);
  }

  get held(): HeldMemory {
    return this.store.held;
  }

  get waitingRequests(): number {
    return this.waiters.length;
  }

  /** Memory in use on instance i (MB). */
  used(i: number): number {
    return this.store.used(i);
  }

  /**
   * Memory on instance i that eviction cannot reclaim (MB): reserved, busy or warming sandboxes.
   * With evictIdleKept, idle kept ones are a cache the platform gives back on demand.
   */
  pinned(i: number, now: number): number {
    return this.store.pinned(i, now);
  }

  /**
   * Memory on instance i owed to reservations the platform accepted but could not start yet (MB):
   * their missing sandboxes, at their user's size. Committed, though not yet in use.
   */
  owed(i: number): number {
    let mb = 0;
    for (const u of this.deficit) {
      if (this.resInst[u] !== i) continue;
      let have = 0;
      for (const b of this.store.boxes[u]) if (b.reserved) have++;
      mb += Math.max(0, this.resSlots[u] - have) * this.o.userMemoryMb[u];
    }
    return mb;
  }

  /** Requests running (or starting) on instance i. */
  busy(i: number): number {
    return this.store.busy(i);
  }

  sandboxesOf(user: number): readonly Sandbox[] {
    return this.store.boxes[user];
  }

  /** The next keep-alive expiry or capacity-wait deadline (Infinity when none): drivers treat it as an event. */
  nextEventMs(): number {
    let next = Infinity;
    for (let e = this.store.peekExpiry(); e; e = this.store.peekExpiry()) {
      if (e.gen === e.box.gen && e.box.alive) {
        next = e.at;
        break;
      }
      this.store.popExpiry();
    }
    // Waiters are in arrival order, so the first has the earliest deadline.
    if (this.waiters.length > 0) next = Math.min(next, this.waiters[0].arrivalMs + this.maxWaitMs);
    return next;
  }

  /** Releases every sandbox whose keep-alive ran out by `now`, at its own time, serving waiters. */
  advance(now: number): void {
    for (;;) {
      const e = this.store.peekExpiry();
      const w = this.waiters[0];
      const wAt = w ? w.arrivalMs + this.maxWaitMs : Infinity;
      if (!(e && e.at <= now) && !(wAt <= now)) break;
      if (e && e.at <= now && e.at <= wAt) {
        this.store.popExpiry();
        if (e.gen !== e.box.gen || !e.box.alive) continue;
        this.store.release(e.box, e.at);
        this.settle(e.at);
      } else {
        this.waiters.shift();
        w!.timedOut = true;
        this.counters.capacityTimeouts++;
        this.onTimeout?.(w!);
      }
    }
  }

  private get maxWaitMs(): number {
    return this.o.maxCapacityWaitMs ?? DEFAULT_MAX_CAPACITY_WAIT_MS;
  }

  /** A request arrives; it either has its sandbox (kind set) or waits for capacity (see onStart). */
  request(user: number, now: number, serviceMs: number, target = -1, preferReserved = true): Ticket {
    const t = new Ticket(this.store.nextId++, user, now, serviceMs, target, preferReserved);
    if (!this.assign(t, now)) {
      this.counters.capacityWaits++;
      if (target >= 0) this.counters.capacityWaitsTargeted++;
      this.waiters.push(t);
    }
    return t;
  }

  /** The request's service ended at `now`: its sandbox goes idle (or to a waiter of the same user). */
  finish(t: Ticket, now: number): void {
    const box = t.sandbox;
    if (!box || !box.busy) throw new Error(`request ${t.id} is not running`);
    this.store.markIdle(box, now);
    const i = this.waiters.findIndex((w) => w.user === box.user && (w.target < 0 || w.target === box.inst));
    if (i >= 0) {
      const w = this.waiters.splice(i, 1)[0];
      this.occupy(w, box, now, box.reserved ? 'reserved' : 'kept');
      this.onStart?.(w);
      return;
    }
    if (!box.reserved) this.store.keepAlive(box, now);
    this.settle(now);
  }

  /**
   * User u should hold `slots` reserved sandboxes on instance `inst` (-1: anywhere) from `now`.
   * Idle or busy sandboxes of the user already there are adopted; the rest start warming now.
   * Fewer slots: idle reserved sandboxes are let go first (they fall back to keep-alive).
   */
  setReservation(user: number, inst: number, slots: number, now: number): void {
    this.place(user, inst, slots, now);
    if (this.waiters.length > 0) this.serveWaiters(now);
    this.settle(now);
  }

  private place(user: number, inst: number, slots: number, now: number): void {
    this.resInst[user] = inst;
    this.resSlots[user] = slots;
    const boxes = this.store.boxes[user];
    const here = (b: Sandbox) => inst < 0 || b.inst === inst;
    for (const b of [...boxes]) if (b.reserved && !here(b)) this.store.unreserve(b, now);
    let have = boxes.filter((b) => b.reserved).length;
    // Let idle ones go before busy ones; newest first, so long-warm ones stay.
    const excess = boxes
      .filter((b) => b.reserved)
      .sort((a, b) => Number(a.busy) - Number(b.busy) || b.id - a.id);
    for (let k = 0; have > slots; k++, have--) this.store.unreserve(excess[k], now);
    const adoptable = boxes
      .filter((b) => !b.reserved && here(b))
      .sort((a, b) => Number(a.busy) - Number(b.busy) || a.id - b.id);
    for (let k = 0; have < slots && k < adoptable.length; k++, have++) this.store.adopt(adoptable[k], now);
    while (have < slots) {
      const box = this.store.create(user, inst, now);
      if (!box) break;
      box.reserved = true;
      have++;
    }
    if (have < slots) {
      if (!this.deficit.has(user)) this.counters.reservationDeficits++;
      this.deficit.add(user);
    } else this.deficit.delete(user);
  }

  /** Ends the run: sandboxes still alive are counted until `now`. */
  close(now: number): void {
    this.store.close(now);
  }

  // ---- internals ----

  private assign(t: Ticket, now: number): boolean {
    let best: Sandbox | undefined;
    let bestRank = 9;
    for (const b of this.store.boxes[t.user]) {
      if (b.busy || (t.target >= 0 && b.inst !== t.target)) continue;
      let rank: number;
      if (b.readyMs > now) rank = 2;
      else rank = b.reserved === t.preferReserved ? 0 : 1;
      if (rank < bestRank || (rank === bestRank && rank === 2 && b.readyMs < best!.readyMs)) {
        best = b;
        bestRank = rank;
      }
    }
    if (best) {
      const kind: StartKind = best.readyMs > now ? 'warming' : best.reserved ? 'reserved' : 'kept';
      if (kind === 'warming') this.counters.warming++;
      this.occupy(t, best, now, kind);
      return true;
    }
    const box = this.store.create(t.user, t.target, now);
    if (!box) return false;
    this.counters.cold++;
    // Before this one was created: none at all, or all busy (elsewhere-routed ones count as busy).
    if (this.store.boxes[t.user].length === 1) this.counters.coldNoSandbox++;
    else this.counters.coldAllBusy++;
    if (this.resSlots[t.user] > 0) this.counters.coldReserved++;
    if (t.target >= 0) this.counters.coldTargeted++;
    this.occupy(t, box, now, 'cold');
    return true;
  }

  private occupy(t: Ticket, box: Sandbox, now: number, kind: StartKind): void {
    this.store.markBusy(box);
    t.kind = kind;
    t.sandbox = box;
    t.assignedMs = now;
    t.startMs = Math.max(now, box.readyMs);
    t.endMs = t.startMs + t.serviceMs;
  }

  /** After releases: reservations short of room and requests waiting for capacity try again. */
  private settle(now: number): void {
    if (this.settling) return;
    this.settling = true;
    try {
      while (this.store.takeReleased()) {
        for (const u of [...this.deficit]) this.place(u, this.resInst[u], this.resSlots[u], now);
        if (this.waiters.length > 0) this.serveWaiters(now);
      }
    } finally {
      this.settling = false;
    }
  }

  private serveWaiters(now: number): void {
    for (let k = 0; k < this.waiters.length;) {
      const w = this.waiters[k];
      if (this.assign(w, now)) {
        this.waiters.splice(k, 1);
        this.onStart?.(w);
      } else k++;
    }
  }
}
