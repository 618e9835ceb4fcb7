/**
 * The replayed requests: the trace's per-minute counts scaled by one factor (rounded per user and
 * minute up or down at random, so the expected total is exactly scaled), each request placed at a
 * uniformly random millisecond of its minute. All randomness comes from the seed by random access
 * (sim/random.ts hashUnit), so every policy sees exactly the same arrivals, run after run.
 */
import { hashUnit } from '../../sim/random';
import type { ArrivalSource } from '../../sim/proxy/traffic';
import type { ReplayTrace } from './trace';

const MINUTE = 60_000;
const ROUNDING = 0x51ca1e;
const PLACING = 0x9_1ace;

export interface ReplayUser {
  id: string;
  serviceMs: number;
  memoryMb: number;
}

export interface MinuteArrivals {
  /** Milliseconds into the minute, ascending (ties: user order). */
  offsetMs: Float64Array;
  user: Uint32Array;
}

export class TraceArrivals implements ArrivalSource {
  readonly users: ReplayUser[];

  constructor(
    readonly trace: ReplayTrace,
    /** Epoch ms of the trace's minute 0. */
    readonly startMs: number,
    readonly scale: number,
    readonly seed: number,
  ) {
    if (!(scale > 0)) throw new Error(`scale must be > 0, got ${scale}`);
    this.users = trace.users.map((u) => ({ id: u.id, serviceMs: u.durationMs, memoryMb: u.memoryMb }));
  }

  get minutes(): number {
    return this.trace.minutes;
  }

  /** Requests of user u in minute m after scaling. */
  count(u: number, m: number): number {
    if (m < 0 || m >= this.trace.minutes) return 0;
    const x = this.trace.counts[u * this.trace.minutes + m] * this.scale;
    const whole = Math.floor(x);
    return whole + (hashUnit(this.seed, ROUNDING, u, m) < x - whole ? 1 : 0);
  }

  arrivals(m: number): MinuteArrivals {
    const offs: number[] = [];
    const users: number[] = [];
    for (let u = 0; u < this.users.length; u++) {
      const n = this.count(u, m);
      for (let k = 0; k < n; k++) {
        offs.push(Math.floor(hashUnit(this.seed, PLACING, u, m, k) * MINUTE));
        users.push(u);
      }
    }
    const order = offs.map((_, i) => i).sort((a, b) => offs[a] - offs[b] || users[a] - users[b] || a - b);
    return {
      offsetMs: Float64Array.from(order, (i) => offs[i]),
      user: Uint32Array.from(order, (i) => users[i]),
    };
  }

  /** Requests in minutes [from, to). */
  total(from: number, to: number): number {
    let s = 0;
    for (let m = from; m < to; m++) for (let u = 0; u < this.users.length; u++) s += this.count(u, m);
    return s;
  }
}

/** Scale that makes minutes [from, to) average `perSecond` requests per second. */
export function scaleForRate(trace: ReplayTrace, from: number, to: number, perSecond: number): number {
  let s = 0;
  for (let u = 0; u < trace.users.length; u++)
    for (let m = from; m < to; m++) s += trace.counts[u * trace.minutes + m];
  if (s <= 0) throw new Error(`the trace has no requests in minutes ${from}..${to}`);
  return (perSecond * 60 * (to - from)) / s;
}
