/**
 * Bin packing of reservations onto instances, greedy and incremental. Capacity is never exceeded:
 * a user is placed only where every dimension fits, or granted a share of what is left.
 *
 * Placement of one user, cheapest first:
 *  1. an instance already in use, without taking room pencilled in for lower tiers' staying users;
 *  2. an empty instance (costs an instance, squeezes nobody);
 *  3. an instance in use, taking room pencilled in for lower tiers (they move or are squeezed);
 *  4. what is left on its own or the roomiest instance: a squeeze.
 * Instances in use are probed best-fit a few at a time from a moving cursor, then first-fit; an
 * upper bound on the room left skips hopeless scans, so a cycle stays near O(users).
 */
import * as demand from './demand';
import type { InstanceTable } from './instance-table';

// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { DIM_AMOUNT, DIMS } = demand;

const PROBES = 4;

export interface PackState {
  /** Room left: free[i * DIMS + d]. */
  free: Float64Array;
  /** Room pencilled in for users staying on i whose tier has not been placed yet. */
  pencil: Float64Array;
  /** Instances holding at least one reservation, in a list the cursor walks. */
  used: Uint8Array;
  usedList: Int32Array;
  nUsed: number;
  cursor: number;
  /** Empty usable instances, best first (cheapest per unit of capacity); taken ones are skipped. */
  empties: Int32Array;
  emptyNext: number;
  /** Upper bounds of room per dimension in used instances (mode 0: without pencils; 1: with). */
  bound: Float64Array;
  refCap: Float64Array;
}

export function newPackState(t: InstanceTable): PackState {
  const I = t.instances.length;
  const refCap = new Float64Array(DIMS);
  for (let i = 0; i < I; i++)
    if (t.usable[i]) for (let d = 0; d < DIMS; d++) refCap[d] = Math.max(refCap[d], t.cap[i * DIMS + d]);
  const empties: number[] = [];
  for (let i = 0; i < I; i++) if (t.usable[i]) empties.push(i);
  const size = (i: number): number => {
    let s = 0;
    for (let d = 0; d < DIMS; d++) if (refCap[d] > 0) s += t.cap[i * DIMS + d] / refCap[d];
    return s;
  };
  empties.sort(
    (a, b) => t.cost[a] / (size(a) || 1e-9) - t.cost[b] / (size(b) || 1e-9) || size(b) - size(a) || a - b,
  );
  const free = new Float64Array(I * DIMS);
  for (let i = 0; i < I; i++)
    if (t.usable[i]) for (let d = 0; d < DIMS; d++) free[i * DIMS + d] = t.cap[i * DIMS + d];
  return {
    free,
    pencil: new Float64Array(I * DIMS),
    used: new Uint8Array(I),
    usedList: new Int32Array(I),
    nUsed: 0,
    cursor: 0,
    empties: Int32Array.from(empties),
    emptyNext: 0,
    bound: new Float64Array(2 * DIMS).fill(Infinity),
    refCap,
  };
}

export function markUsed(s: PackState, i: number): void {
  if (s.used[i]) return;
  s.used[i] = 1;
  s.usedList[s.nUsed++] = i;
}

/** Room on i for dimension d: free, less pencils unless lower tiers may be displaced. */
function room(s: PackState, i: number, d: number, displace: boolean): number {
  const o = i * DIMS + d;
  return displace ? s.free[o] : s.free[o] - s.pencil[o];
}

function fits(s: PackState, i: number, want: Float64Array, w: number, displace: boolean): boolean {
  for (let d = 0; d < DIMS; d++) {
    const x = want[w + DIM_AMOUNT[d]];
    if (x > 0 && x > room(s, i, d, displace)) return false;
  }
  return true;
}

export function take(s: PackState, i: number, want: Float64Array, w: number, share = 1): void {
  for (let d = 0; d < DIMS; d++) s.free[i * DIMS + d] -= grantedAmount(want[w + DIM_AMOUNT[d]], share);
}

/** Gives a user's full want back to instance i (a move undone or done). */
export function release(s: PackState, i: number, want: Float64Array, w: number): void {
  for (let d = 0; d < DIMS; d++) s.free[i * DIMS + d] += want[w + DIM_AMOUNT[d]];
}

/** The integer amount a share of a want grants (the same rounding everywhere). */
export function grantedAmount(want: number, share: number): number {
  return share >= 1 ? want : Math.floor(want * share);
}

/** Best fit among a few used instances from the cursor, then first fit over the rest. */
export function findInUse(s: PackState, want: Float64Array, w: number, displace: boolean): number {
  if (s.nUsed === 0) return -1;
  const b = displace ? DIMS : 0;
  for (let d = 0; d < DIMS; d++) if (want[w + DIM_AMOUNT[d]] > s.bound[b + d]) return -1;
  let best = -1;
  let bestPos = -1;
  let bestSlack = Infinity;
  const probes = Math.min(PROBES, s.nUsed);
  for (let k = 0; k < probes; k++) {
    const pos = (s.cursor + k) % s.nUsed;
    const i = s.usedList[pos];
    if (!fits(s, i, want, w, displace)) continue;
    let slack = 0;
    for (let d = 0; d < DIMS; d++)
      if (s.refCap[d] > 0) slack += (room(s, i, d, displace) - want[w + DIM_AMOUNT[d]]) / s.refCap[d];
    if (slack < bestSlack) [best, bestPos, bestSlack] = [i, pos, slack];
  }
  if (best >= 0) {
    s.cursor = bestPos;
    return best;
  }
  const max = new Float64Array(DIMS).fill(-Infinity);
  for (let k = 0; k < s.nUsed; k++) {
    const pos = (s.cursor + k) % s.nUsed;
    const i = s.usedList[pos];
    if (k >= probes && fits(s, i, want, w, displace)) {
      s.cursor = pos;
      return i;
    }
    for (let d = 0; d < DIMS; d++) max[d] = Math.max(max[d], room(s, i, d, displace));
  }
  s.bound.set(max, b);
  return -1;
}

/** The best empty usable instance that holds the want; it becomes used. */
export function openEmpty(s: PackState, want: Float64Array, w: number): number {
  while (s.emptyNext < s.empties.length && s.used[s.empties[s.emptyNext]]) s.emptyNext++;
  for (let k = s.emptyNext; k < s.empties.length; k++) {
    const i = s.empties[k];
    if (s.used[i] || !fits(s, i, want, w, false)) continue;
    markUsed(s, i);
    s.cursor = s.nUsed - 1;
    // A new instance widens the room in use: the bounds no longer hold.
    s.bound.fill(Infinity);
    return i;
  }
  return -1;
}

/** Largest share of the want that fits on i in every dimension (0..1). */
export function shareThatFits(s: PackState, i: number, want: Float64Array, w: number): number {
  let share = 1;
  for (let d = 0; d < DIMS; d++) {
    const x = want[w + DIM_AMOUNT[d]];
    if (x > 0) share = Math.min(share, Math.max(0, s.free[i * DIMS + d]) / x);
  }
  return share;
}

/** The usable instance with the largest share for this want (a scan; used only for squeezes). */
export function roomiest(s: PackState, t: InstanceTable, want: Float64Array, w: number): number {
  let best = -1;
  let bestShare = -1;
  for (let i = 0; i < t.instances.length; i++) {
    if (!t.usable[i]) continue;
    const sh = shareThatFits(s, i, want, w);
    if (sh > bestShare) [best, bestShare] = [i, sh];
  }
  return best;
}

export function addPencil(s: PackState, i: number, want: Float64Array, w: number, sign: 1 | -1): void {
  for (let d = 0; d < DIMS; d++) s.pencil[i * DIMS + d] += sign * want[w + DIM_AMOUNT[d]];
}
