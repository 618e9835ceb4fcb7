/**
 * What perfect foresight knows: each user's peak number of requests in flight per minute if every
 * request started the moment it arrived (arrivals and service times are the replay's own). The
 * oracle reserves exactly this, minute by minute, with the warm-up lead; static provisioning holds
 * each user's peak over the whole replay.
 */
import type { MinuteArrivals } from './replay';

export interface ArrivalsByMinute {
  readonly users: readonly { serviceMs: number }[];
  arrivals(m: number): MinuteArrivals;
}

export interface PeakProfile {
  /** First minute (index in the replay's minutes) and how many. */
  from: number;
  minutes: number;
  users: number;
  /** need[u * minutes + k]: peak in flight of user u during minute from + k. */
  need: Uint16Array;
}

const MINUTE = 60_000;

export function peakInFlight(src: ArrivalsByMinute, from: number, to: number): PeakProfile {
  const U = src.users.length;
  const minutes = to - from;
  const need = new Uint16Array(U * minutes);
  // Per user: end times (relative to minute `from`) of requests still in flight, unsorted (few).
  const ends: number[][] = Array.from({ length: U }, () => []);
  for (let k = 0; k < minutes; k++) {
    const t0 = k * MINUTE;
    for (let u = 0; u < U; u++) {
      const e = ends[u];
      if (e.length === 0) continue;
      drop(e, t0);
      if (e.length > need[u * minutes + k]) need[u * minutes + k] = e.length;
    }
    const a = src.arrivals(from + k);
    for (let i = 0; i < a.user.length; i++) {
      const u = a.user[i];
      const t = t0 + a.offsetMs[i];
      const e = ends[u];
      drop(e, t);
      e.push(t + src.users[u].serviceMs);
      if (e.length > need[u * minutes + k]) need[u * minutes + k] = Math.min(65535, e.length);
    }
  }
  return { from, minutes, users: U, need };
}

/** Removes the requests that ended by `t` (an end at t frees its sandbox for an arrival at t). */
function drop(e: number[], t: number): void {
  for (let j = e.length - 1; j >= 0; j--) if (e[j] <= t) e.splice(j, 1);
}

/** Each user's largest need over the profile. */
export function peakOf(p: PeakProfile): Uint16Array {
  const out = new Uint16Array(p.users);
  for (let u = 0; u < p.users; u++)
    for (let k = 0; k < p.minutes; k++) out[u] = Math.max(out[u], p.need[u * p.minutes + k]);
  return out;
}

export interface ReservationChange {
  atMs: number;
  user: number;
  slots: number;
}

/**
 * The oracle's reservations: during minute m, user u holds need(u, m), put in place `leadMs`
 * before the minute starts (as Earmark's plans are), so at time t it holds the largest need of the
 * minutes whose [start − lead, end) contains t. Only changes are listed, in time order.
 */
export function oracleSchedule(p: PeakProfile, startMs: number, leadMs: number): ReservationChange[] {
  const out: ReservationChange[] = [];
  const bounds = new Set<number>();
  for (let k = 0; k <= p.minutes; k++) {
    bounds.add(k * MINUTE);
    bounds.add(k * MINUTE - leadMs);
  }
  const times = [...bounds].sort((a, b) => a - b);
  for (let u = 0; u < p.users; u++) {
    let held = 0;
    for (const t of times) {
      // Minutes k with k·60s − lead ≤ t < (k+1)·60s.
      const lo = Math.max(0, Math.floor(t / MINUTE));
      const hi = Math.min(p.minutes - 1, Math.floor((t + leadMs) / MINUTE));
      let want = 0;
      for (let k = lo; k <= hi; k++) want = Math.max(want, p.need[u * p.minutes + k]);
      if (want !== held) {
        out.push({ atMs: startMs + t, user: u, slots: want });
        held = want;
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs || a.user - b.user);
}
