/**
 * One cycle's packing: tier by tier, staying users first on their own instance, then everyone
 * else by the placement order of packer.ts; whoever does not fit is squeezed (granted a share).
 */
import * as demand from './demand';
import type { Wants } from './demand';
import type { InstanceTable } from './instance-table';
import * as packer from './packer';
import type { PackState } from './packer';
import * as steps from '../domain/steps';
import type { Steps } from '../domain/steps';
import { orderUsers } from './user-order';

// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { AMOUNTS, DIM_AMOUNT, DIMS } = demand;
const { addPencil, findInUse, markUsed, newPackState, openEmpty, roomiest, shareThatFits, take } = packer;
const { runToEnd, YIELD_MASK } = steps;

const SQUEEZE_PROBES = 8;

export const SQUEEZE_CAPACITY = 0;
export const SQUEEZE_TOO_LARGE = 1;
export const SQUEEZE_NO_INSTANCE = 2;

export interface PackResult {
  /** Instance of each user (-1: no usable instance at all). */
  assign: Int32Array;
  /** Share of each user's want granted: 1 in full, less when squeezed. */
  share: Float64Array;
  squeezed: Uint32Array;
  /** Why each squeezed user was squeezed (SQUEEZE_*), same order. */
  squeezeReason: Uint8Array;
  state: PackState;
}

export function packUsers(w: Wants, t: InstanceTable, prev: Int32Array, tierCount: number): PackResult {
  return runToEnd(packSteps(w, t, prev, tierCount));
}

/** packUsers, yielding every USERS_PER_YIELD users placed (steps.ts). */
export function* packSteps(
  w: Wants,
  t: InstanceTable,
  prev: Int32Array,
  tierCount: number,
): Steps<PackResult> {
  const U = w.users.length;
  const s = newPackState(t);
  const assign = new Int32Array(U).fill(-1);
  const share = new Float64Array(U).fill(1);
  const squeezed: number[] = [];
  const reasons: number[] = [];
  const a = w.amount;
  const { order, groupStart, idle } = orderUsers(w, prev, tierCount, s.refCap);

  for (let k = 0; k < order.length; k++) {
    if ((k & YIELD_MASK) === YIELD_MASK) yield;
    const u = order[k];
    if (prev[u] < 0) continue;
    markUsed(s, prev[u]);
    addPencil(s, prev[u], a, u * AMOUNTS, 1);
  }
  let home = -1;
  // A squeezed user gets the largest share among its own instance and a few in use near the cursor:
  // bounded work per user, so a cycle under heavy scarcity stays as fast as one without.
  const squeeze = (u: number): void => {
    const o = u * AMOUNTS;
    let i = prev[u];
    let sh = i >= 0 ? shareThatFits(s, i, a, o) : -1;
    for (let k = 0; k < Math.min(SQUEEZE_PROBES, s.nUsed); k++) {
      const c = s.usedList[(s.cursor + k) % s.nUsed];
      const cs = shareThatFits(s, c, a, o);
      if (cs > sh) [i, sh] = [c, cs];
    }
    if (sh <= 0 && home < 0) home = roomiest(s, t, a, o);
    if (i < 0) i = home;
    if (i >= 0 && sh > 0 && a[o] > 0 && Math.floor(a[o] * sh) < 1) sh = 0; // no slot, no reservation
    sh = Math.max(0, Math.min(1, sh));
    if (i >= 0 && sh > 0) take(s, i, a, o, sh);
    if (sh > 0) s.cursor = (s.cursor + 1) % Math.max(1, s.nUsed);
    assign[u] = i;
    share[u] = sh;
    squeezed.push(u);
    reasons.push(i < 0 ? SQUEEZE_NO_INSTANCE : tooLarge(s, a, o) ? SQUEEZE_TOO_LARGE : SQUEEZE_CAPACITY);
  };

  const instanceFor = (u: number, o: number): number => {
    let i = findInUse(s, a, o, false);
    if (i < 0) i = openEmpty(s, a, o);
    // Before displacing anyone elsewhere, a staying user displaces lower tiers on its own instance.
    if (i < 0 && prev[u] >= 0 && fitsOn(s, prev[u], a, o, true)) i = prev[u];
    if (i < 0) i = findInUse(s, a, o, true);
    return i;
  };

  for (let tier = 0; tier < tierCount; tier++) {
    // Staying users keep their instance when they fit beside everyone else pencilled in there;
    // one that grew too much moves (one move) rather than pushing its neighbours out (many).
    const grew: number[] = [];
    for (let k = groupStart[tier * 2]; k < groupStart[tier * 2 + 1]; k++) {
      if ((k & YIELD_MASK) === YIELD_MASK) yield;
      const u = order[k];
      const i = prev[u];
      addPencil(s, i, a, u * AMOUNTS, -1);
      if (fitsOn(s, i, a, u * AMOUNTS, false)) {
        take(s, i, a, u * AMOUNTS);
        assign[u] = i;
      } else {
        grew.push(u);
        s.bound.fill(Infinity, 0, DIMS); // its released pencil is room again
      }
    }
    const place = (u: number): void => {
      const o = u * AMOUNTS;
      let i = instanceFor(u, o);
      // Overflow room is kept only where it fits: never at the cost of the reservation itself.
      if (i < 0 && dropRoom(w, o)) i = instanceFor(u, o);
      if (i < 0) return squeeze(u);
      take(s, i, a, o);
      assign[u] = i;
    };
    for (const u of grew) place(u);
    for (let k = groupStart[tier * 2 + 1]; k < groupStart[tier * 2 + 2]; k++) {
      if ((k & YIELD_MASK) === YIELD_MASK) yield;
      place(order[k]);
    }
  }

  // Users holding nothing keep a home (their instance, else one in use) so a top-up has a place.
  let rr = 0;
  for (const u of idle) {
    if (prev[u] >= 0) assign[u] = prev[u];
    else if (s.nUsed > 0) assign[u] = s.usedList[rr++ % s.nUsed];
    else if (s.empties.length > 0) assign[u] = s.empties[rr++ % s.empties.length];
  }
  return {
    assign,
    share,
    squeezed: Uint32Array.from(squeezed),
    squeezeReason: Uint8Array.from(reasons),
    state: s,
  };
}

/**
 * Takes user o's overflow room out of the packing amounts and room (packingWants copied both:
 * consolidation reads the amounts next, and the plan records the room left as kept); false when
 * the user has none.
 */
function dropRoom(w: Wants, o: number): boolean {
  let any = false;
  for (let k = 0; k < AMOUNTS; k++) {
    const r = w.room[o + k];
    if (r > 0) {
      w.amount[o + k] -= r;
      w.room[o + k] = 0;
      any = true;
    }
  }
  return any;
}

/** Room on i for the want: free, less pencils unless lower tiers may be displaced. */
function fitsOn(s: PackState, i: number, a: Float64Array, o: number, displace: boolean): boolean {
  for (let d = 0; d < DIMS; d++) {
    const x = a[o + DIM_AMOUNT[d]];
    const room = displace ? s.free[i * DIMS + d] : s.free[i * DIMS + d] - s.pencil[i * DIMS + d];
    if (x > 0 && x > room) return false;
  }
  return true;
}

function tooLarge(s: PackState, a: Float64Array, o: number): boolean {
  for (let d = 0; d < DIMS; d++) if (a[o + DIM_AMOUNT[d]] > s.refCap[d]) return true;
  return false;
}
