/**
 * Plays the replay's arrivals through the emulated Envoy fleet (the real filter) onto the instance
 * model, in time order: each arrival is sent at its own millisecond (the fleet's clock is moved
 * there first); the filter's decision sends it to its reserved instance, the platform's on-demand
 * path (unreserved, redirected, fail-open) or back with a local reply; the instance model gives it a
 * sandbox (warm, warming, cold, or after a wait for capacity); it finishes after its service time,
 * which gives its slot in the filter back and may let a queued request go. Like sim/proxy's
 * TrafficDriver, but with cold starts and finite capacity (sim/instances/sandbox-pool.ts).
 */
import { MinHeap } from '../../sim/instances/min-heap';
import {
  refusedOutcome,
  servedOutcome,
  timedOutOutcome,
  type Fate,
  type RequestOutcome,
} from '../../sim/instances/request-outcome';
import type { SandboxPool, Ticket } from '../../sim/instances/sandbox-pool';
import type { ProxyFleet, ProxyRequest } from '../../sim/proxy';
import type { MinuteArrivals, TraceArrivals } from './arrivals';

const MINUTE = 60_000;
const BYTES_OUT = 512;

interface Running {
  at: number;
  seq: number;
  ticket: Ticket;
  req: ProxyRequest;
}

export interface DecisionTally {
  sent: number;
  reserved: number;
  unreserved: number;
  redirected: number;
  throttled: number;
  fail_open: number;
  fail_closed: number;
  queued: number;
}

export class LiveDriver {
  readonly tally: DecisionTally = {
    sent: 0,
    reserved: 0,
    unreserved: 0,
    redirected: 0,
    throttled: 0,
    fail_open: 0,
    fail_closed: 0,
    queued: 0,
  };
  private readonly running = new MinHeap<Running>();
  private readonly waiting = new Map<Ticket, { req: ProxyRequest; fate: Fate }>();
  private readonly userIndex: Map<string, number>;
  private seq = 0;
  private minute: number;
  private batch: MinuteArrivals = { offsetMs: new Float64Array(0), user: new Uint32Array(0) };
  private cursor = 0;

  constructor(
    private readonly fleet: ProxyFleet,
    private readonly arrivals: TraceArrivals,
    private readonly pool: SandboxPool,
    /** Instance index of each companion address the plan routes to. */
    private readonly instanceOf: ReadonlyMap<string, number>,
    fromMinute: number,
    private readonly toMinute: number,
    private readonly onOutcome: (o: RequestOutcome) => void,
    /** The filter's tick (config tick_ms) and when the proxies started: ticks fall on start + k·tick. */
    private readonly tickMs = 100,
    private readonly fleetStartMs = fleet.now(),
  ) {
    this.minute = fromMinute;
    this.userIndex = new Map(arrivals.users.map((u, i) => [u.id, i]));
    fleet.onSettled = (r) => this.settled(r);
    pool.onStart = (t) => {
      const w = this.waiting.get(t)!;
      this.waiting.delete(t);
      this.started(t, w.req, w.fate);
    };
    pool.onTimeout = (t) => {
      const w = this.waiting.get(t)!;
      this.waiting.delete(t);
      this.onOutcome(timedOutOutcome(t, w.fate, w.req.sentAtMs, w.req.waitMs ?? 0));
      w.req.finish({ status: 503 });
      for (const q of this.fleet.proxies[w.req.proxy].settle()) this.settled(q);
    };
  }

  /** Requests whose outcome is not known yet (queued in a filter, or waiting for capacity). */
  get undecided(): number {
    return this.waiting.size + this.fleet.proxies.reduce((s, p) => s + p.queued, 0);
  }

  /** Requests sent and not finished (queued in a filter, waiting for capacity, or being served). */
  get inFlight(): number {
    return this.running.size + this.waiting.size + this.fleet.proxies.reduce((s, p) => s + p.queued, 0);
  }

  /** Everything due before `t`, in time order; leaves the fleet's clock at `t`. */
  runUntil(t: number): void {
    for (;;) {
      const a = this.nextArrival();
      const c = this.running.peek()?.at ?? Infinity;
      const e = this.pool.nextEventMs();
      // While requests wait in a filter queue, stop at every tick: the filter lets them go (or
      // gives up on them) on ticks, and each is observed at the tick that decided it.
      const k = this.queuedInFilters() ? this.nextTick() : Infinity;
      const at = Math.min(a, c, e, k);
      if (!(at < t)) break;
      this.fleet.advanceTo(at);
      if (c === at) this.complete(this.running.pop()!, at);
      else if (e === at) this.pool.advance(at);
      else if (a === at) this.send();
    }
    this.fleet.advanceTo(t);
  }

  private queuedInFilters(): boolean {
    for (const p of this.fleet.proxies) if (p.queued > 0) return true;
    return false;
  }

  private nextTick(): number {
    const now = this.fleet.now();
    return this.fleetStartMs + (Math.floor((now - this.fleetStartMs) / this.tickMs) + 1) * this.tickMs;
  }

  private nextArrival(): number {
    while (this.cursor >= this.batch.user.length) {
      if (this.minute >= this.toMinute) return Infinity;
      this.batch = this.arrivals.arrivals(this.minute++);
      this.cursor = 0;
    }
    return this.arrivals.startMs + (this.minute - 1) * MINUTE + this.batch.offsetMs[this.cursor];
  }

  private send(): void {
    const u = this.arrivals.users[this.batch.user[this.cursor++]];
    this.tally.sent++;
    const req = this.fleet.send(u.id);
    if (req.settled) this.settled(req);
  }

  /** The filter decided (at once, or after the request waited in its queue). */
  private settled(req: ProxyRequest): void {
    const now = req.settledAtMs!;
    const wait = req.waitMs ?? 0;
    if (req.wasQueued) this.tally.queued++;
    this.tally[req.decision as Exclude<keyof DecisionTally, 'sent' | 'queued'>]++;
    const u = this.userIndex.get(req.user)!;
    if (req.decision === 'throttled' || req.decision === 'fail_closed') {
      const fate = req.decision === 'throttled' ? 'throttled' : 'failed';
      this.onOutcome(refusedOutcome(u, fate, req.sentAtMs, wait));
      req.finish();
      return;
    }
    const reserved = req.decision === 'reserved';
    const fate: Fate = reserved
      ? req.wasQueued
        ? 'queued'
        : 'reserved'
      : req.decision === 'redirected'
        ? 'redirected'
        : req.decision === 'fail_open'
          ? 'failed'
          : 'unreserved';
    // The reserved instance, from the routing header; anything else is the platform's to place.
    const target = reserved && req.target ? (this.instanceOf.get(req.target) ?? -1) : -1;
    const ticket = this.pool.request(u, now, this.arrivals.users[u].serviceMs, target, reserved);
    if (ticket.waiting) this.waiting.set(ticket, { req, fate });
    else this.started(ticket, req, fate);
  }

  private started(t: Ticket, req: ProxyRequest, fate: Fate): void {
    const o = servedOutcome(t, fate, req.sentAtMs, req.waitMs ?? 0);
    // Only what the filter admitted on a reservation counts as served from one.
    o.fromReservation = o.fromReservation && (fate === 'reserved' || fate === 'queued');
    this.onOutcome(o);
    this.running.push({ at: t.endMs, seq: this.seq++, ticket: t, req });
  }

  private complete(r: Running, now: number): void {
    this.pool.finish(r.ticket, now);
    r.req.finish({ status: 200, bytesOut: BYTES_OUT });
    // A freed slot may have let a queued request go at this very moment.
    for (const q of this.fleet.proxies[r.req.proxy].settle()) this.settled(q);
  }
}
