/**
 * Where the sandbox pool's sandboxes live (sandbox-pool.ts decides who gets which): each user's
 * sandboxes, the memory they hold on each instance, their keep-alive expiries, and eviction of
 * idle kept ones. Split from the pool so that its request and reservation logic reads apart from
 * the memory bookkeeping; the pool drives every call, in the same order as before the split.
 */
import { HeldMemory } from './held-memory';
import { MinHeap } from './min-heap';
import type { Expiry, PoolCounters, Sandbox, SandboxPoolOptions } from './sandbox';

export class SandboxStore {
  readonly held: HeldMemory;
  readonly boxes: Sandbox[][];
  /** Sandboxes and tickets share one id sequence: ids order creation across both. */
  nextId = 1;
  /** A sandbox was released since the pool last looked (takeReleased): deficits and waiters may now fit. */
  private released = false;
  private readonly usedMb: Float64Array;
  private readonly busyCount: Int32Array;
  private readonly expiries = new MinHeap<Expiry>();
  private seq = 0;

  constructor(
    private readonly o: SandboxPoolOptions,
    private readonly counters: PoolCounters,
  ) {
    const users = o.userMemoryMb.length;
    this.held = new HeldMemory(o.window, users, o.binMs);
    this.boxes = Array.from({ length: users }, () => []);
    this.usedMb = new Float64Array(o.instances.length);
    this.busyCount = new Int32Array(o.instances.length);
  }

  used(i: number): number {
    return this.usedMb[i];
  }

  busy(i: number): number {
    return this.busyCount[i];
  }

  /** Memory on instance i that eviction cannot reclaim: reserved, busy or warming sandboxes. */
  pinned(i: number, now: number): number {
    let mb = 0;
    for (const list of this.boxes)
      for (const b of list)
        if (b.inst === i && (b.reserved || b.busy || b.readyMs > now)) mb += this.o.userMemoryMb[b.user];
    return mb;
  }

  takeReleased(): boolean {
    const r = this.released;
    this.released = false;
    return r;
  }

  /** The earliest expiry still scheduled, stale or not (the caller checks gen and alive). */
  peekExpiry(): Expiry | undefined {
    return this.expiries.peek();
  }

  popExpiry(): void {
    this.expiries.pop();
  }

  markBusy(box: Sandbox): void {
    box.gen++; // a scheduled keep-alive expiry no longer applies
    box.busy = true;
    this.busyCount[box.inst]++;
  }

  markIdle(box: Sandbox, now: number): void {
    box.busy = false;
    this.busyCount[box.inst]--;
    box.lastUsedMs = now;
  }

  /** A new sandbox for `user` on `inst` (-1: the instance with most room), or undefined if none fits. */
  create(user: number, inst: number, now: number): Sandbox | undefined {
    const mb = this.o.userMemoryMb[user];
    let i = inst >= 0 ? (this.free(inst) >= mb ? inst : -1) : this.pickInstance(mb);
    if (i < 0 && this.o.evictIdleKept) i = this.evictFor(mb, inst, now);
    if (i < 0) return undefined;
    const ready = now + this.o.coldStartMs;
    const box: Sandbox = {
      id: this.nextId++,
      user,
      inst: i,
      createdMs: now,
      readyMs: ready,
      busy: false,
      reserved: false,
      lastUsedMs: ready,
      alive: true,
      segMs: now,
      gen: 0,
    };
    this.usedMb[i] += mb;
    this.boxes[user].push(box);
    this.counters.created++;
    return box;
  }

  keepAlive(box: Sandbox, now: number): void {
    const at = Math.max(box.lastUsedMs, box.readyMs) + this.o.keepAliveMs;
    if (at <= now) return this.release(box, now);
    box.gen++;
    this.expiries.push({ at, seq: this.seq++, box, gen: box.gen });
  }

  adopt(box: Sandbox, now: number): void {
    this.segment(box, now);
    box.gen++;
    box.reserved = true;
  }

  unreserve(box: Sandbox, now: number): void {
    this.segment(box, now);
    box.reserved = false;
    if (!box.busy) this.keepAlive(box, now);
  }

  release(box: Sandbox, at: number): void {
    this.segment(box, at);
    box.alive = false;
    box.gen++;
    this.usedMb[box.inst] -= this.o.userMemoryMb[box.user];
    const list = this.boxes[box.user];
    list.splice(list.indexOf(box), 1);
    this.counters.released++;
    this.released = true;
  }

  /** Ends the run: sandboxes still alive are counted until `now`. */
  close(now: number): void {
    for (const list of this.boxes) for (const b of list) this.segment(b, now);
  }

  /**
   * Frees `mb` on `inst` (-1: the instance where idle kept sandboxes would free the most) by
   * releasing its idle kept-alive sandboxes, least recently used first; -1 if they would not suffice.
   */
  private evictFor(mb: number, inst: number, now: number): number {
    const idle: Sandbox[][] = this.o.instances.map(() => []);
    for (const list of this.boxes)
      for (const b of list) if (!b.busy && !b.reserved && b.readyMs <= now) idle[b.inst].push(b);
    const room = (i: number) => this.free(i) + idle[i].reduce((s, b) => s + this.o.userMemoryMb[b.user], 0);
    let i = inst;
    if (i < 0) for (let k = 0; k < idle.length; k++) if (room(k) >= mb && (i < 0 || room(k) > room(i))) i = k;
    if (i < 0 || room(i) < mb) return -1;
    const victims = idle[i].sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.id - b.id);
    for (let k = 0; this.free(i) < mb; k++) {
      this.release(victims[k], now);
      this.counters.evicted++;
    }
    return i;
  }

  private free(i: number): number {
    return this.o.instances[i].memoryMb - this.usedMb[i];
  }

  /** The instance with the most free memory that fits `mb` (-1: none). */
  private pickInstance(mb: number): number {
    let best = -1;
    for (let i = 0; i < this.o.instances.length; i++)
      if (this.free(i) >= mb && (best < 0 || this.free(i) > this.free(best))) best = i;
    return best;
  }

  /** Counts the box's held memory since its last segment start, reserved or not as it was. */
  private segment(box: Sandbox, now: number): void {
    this.held.add(box.user, this.o.userMemoryMb[box.user], box.segMs, now, box.reserved);
    box.segMs = now;
  }
}
