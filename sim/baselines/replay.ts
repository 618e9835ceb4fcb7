/**
 * Replays arrivals through the instance model (sim/instances/sandbox-pool.ts) under a comparison
 * policy, as a discrete-event simulation: the same arrivals, service times and instances the live
 * Earmark run uses, with no proxy filter, only what the policy itself does (reservations, keep-alive,
 * a concurrency limiter in the proxies). Events at the same millisecond run in a fixed order:
 * completions, keep-alive expiries, reservation changes, limiter timers, then arrivals.
 */
import { MinHeap } from '../instances/min-heap';
import {
  refusedOutcome,
  servedOutcome,
  timedOutOutcome,
  type RequestOutcome,
} from '../instances/request-outcome';
import { SandboxPool, type SandboxPoolOptions, type Ticket } from '../instances/sandbox-pool';
import type { ReservationChange } from './demand-profile';
import { GradientController, type GradientControllerConfig } from './gradient-controller';

const MINUTE = 60_000;

export interface MinuteArrivals {
  offsetMs: Float64Array;
  user: Uint32Array;
}

export interface ReplaySource {
  /** Epoch ms of minute 0. */
  readonly startMs: number;
  readonly users: readonly { serviceMs: number }[];
  arrivals(m: number): MinuteArrivals;
}

export interface LimiterSpec {
  proxies: number;
  /** The proxy a user's requests go through (the fleet's affinity hash). */
  route: (user: number) => number;
  seed: number;
  config?: Partial<GradientControllerConfig>;
}

export interface BaselineSpec {
  name: string;
  keepAliveMs: number;
  /** Reservation changes in time order (static: all at the start; oracle: minute by minute). */
  reservations?: readonly ReservationChange[];
  /** A concurrency limiter in every proxy (requests over its limit get 503). */
  limiter?: LimiterSpec;
}

export interface ReplayRange {
  /** First and one-past-last replayed minute (the evaluated window and the warm-up before it). */
  fromMinute: number;
  toMinute: number;
}

export interface BaselineResult {
  pool: SandboxPool;
  limiters: GradientController[];
  requests: number;
}

interface Running {
  at: number;
  seq: number;
  ticket: Ticket;
  proxy: number;
}

export function replayBaseline(
  spec: BaselineSpec,
  src: ReplaySource,
  pool: Omit<SandboxPoolOptions, 'keepAliveMs'>,
  range: ReplayRange,
  onOutcome: (o: RequestOutcome) => void,
): BaselineResult {
  const p = new SandboxPool({ ...pool, keepAliveMs: spec.keepAliveMs });
  const t0 = src.startMs + range.fromMinute * MINUTE;
  const end = src.startMs + range.toMinute * MINUTE;
  const limiters = spec.limiter
    ? Array.from(
        { length: spec.limiter.proxies },
        (_, i) => new GradientController(t0, spec.limiter!.seed + i, spec.limiter!.config),
      )
    : [];
  const running = new MinHeap<Running>();
  let seq = 0;
  const proxyOf = new Map<Ticket, number>();
  const started = (t: Ticket) => {
    onOutcome(servedOutcome(t, t.sandbox?.reserved ? 'reserved' : 'unreserved', t.arrivalMs));
    running.push({ at: t.endMs, seq: seq++, ticket: t, proxy: proxyOf.get(t) ?? -1 });
    proxyOf.delete(t);
  };
  p.onStart = started;
  p.onTimeout = (t) => {
    onOutcome(timedOutOutcome(t, 'unreserved', t.arrivalMs));
    const proxy = proxyOf.get(t) ?? -1;
    proxyOf.delete(t);
    if (proxy >= 0) limiters[proxy].cancel();
  };
  const changes = spec.reservations ?? [];
  let ci = 0;
  let requests = 0;
  let minute = range.fromMinute;
  let batch: MinuteArrivals = { offsetMs: new Float64Array(0), user: new Uint32Array(0) };
  let cursor = 0;
  const nextArrival = (): number => {
    while (cursor >= batch.user.length) {
      if (minute >= range.toMinute) return Infinity;
      batch = src.arrivals(minute++);
      cursor = 0;
    }
    return src.startMs + (minute - 1) * MINUTE + batch.offsetMs[cursor];
  };
  const limiterNext = () => limiters.reduce((m, l) => Math.min(m, l.nextEventMs()), Infinity);

  for (;;) {
    const a = nextArrival();
    const c = running.peek()?.at ?? Infinity;
    const e = p.nextEventMs();
    const r = ci < changes.length ? changes[ci].atMs : Infinity;
    const l = limiters.length > 0 ? limiterNext() : Infinity;
    const now = Math.min(a, c, e, r, l);
    if (now === Infinity) break;
    if (now > end && a === Infinity && running.size === 0 && p.waitingRequests === 0) break;
    if (c === now) {
      const done = running.pop()!;
      p.finish(done.ticket, now);
      if (done.proxy >= 0) limiters[done.proxy].complete(done.ticket.arrivalMs, now);
      continue;
    }
    if (e === now) {
      p.advance(now);
      continue;
    }
    if (r === now) {
      const ch = changes[ci++];
      p.setReservation(ch.user, -1, ch.slots, now);
      continue;
    }
    if (l === now) {
      for (const lim of limiters) if (lim.nextEventMs() <= now) lim.fire(now);
      continue;
    }
    const u = batch.user[cursor++];
    requests++;
    const proxy = spec.limiter ? spec.limiter.route(u) : -1;
    if (proxy >= 0 && !limiters[proxy].forward()) {
      onOutcome(refusedOutcome(u, 'throttled', now));
      continue;
    }
    const t = p.request(u, now, src.users[u].serviceMs);
    if (t.waiting) proxyOf.set(t, proxy);
    else {
      proxyOf.set(t, proxy);
      started(t);
    }
  }
  p.close(end);
  return { pool: p, limiters, requests };
}
