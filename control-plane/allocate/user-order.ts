/**
 * The order the packer visits users in: tier by tier (highest priority first, so higher tiers win
 * under scarcity); within a tier, users staying where they are first (stickiness), then the rest;
 * within each, largest first (first-fit decreasing packs tighter). A counting sort: O(users).
 */
import * as demand from './demand';
import type { Wants } from './demand';

// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { AMOUNTS, DIM_AMOUNT, DIMS } = demand;

const SIZE_BUCKETS = 64;

export interface UserOrder {
  /** Users with something to hold, in visiting order. */
  order: Uint32Array;
  /** groupStart[g]..groupStart[g+1]: group g = tier * 2 + (0 staying, 1 placed afresh). */
  groupStart: Uint32Array;
  /** Users that hold nothing this cycle. */
  idle: Uint32Array;
}

export function hasWant(w: Wants, u: number): boolean {
  const o = u * AMOUNTS;
  for (let k = 0; k < AMOUNTS; k++) if (w.amount[o + k] > 0) return true;
  return false;
}

/** Size of a user's want as its largest share of a reference instance (log-bucketed, 0 = largest). */
function sizeBucket(w: Wants, u: number, refCap: Float64Array): number {
  let share = 0;
  for (let d = 0; d < DIMS; d++) {
    if (refCap[d] <= 0) continue;
    const s = w.amount[u * AMOUNTS + DIM_AMOUNT[d]] / refCap[d];
    if (s > share) share = s;
  }
  if (share <= 0) return SIZE_BUCKETS - 1;
  const b = Math.floor(-2 * Math.log2(Math.min(1, share)));
  return b >= SIZE_BUCKETS ? SIZE_BUCKETS - 1 : b;
}

export function orderUsers(w: Wants, prev: Int32Array, tierCount: number, refCap: Float64Array): UserOrder {
  const U = w.users.length;
  const groups = tierCount * 2;
  const keys = new Uint32Array(U);
  const counts = new Uint32Array(groups * SIZE_BUCKETS + 1);
  let idleCount = 0;
  for (let u = 0; u < U; u++) {
    if (!hasWant(w, u)) {
      keys[u] = 0xffffffff;
      idleCount++;
      continue;
    }
    const g = w.tier[u] * 2 + (prev[u] >= 0 ? 0 : 1);
    const k = g * SIZE_BUCKETS + sizeBucket(w, u, refCap);
    keys[u] = k;
    counts[k + 1]++;
  }
  for (let k = 1; k < counts.length; k++) counts[k] += counts[k - 1];
  const groupStart = new Uint32Array(groups + 1);
  for (let g = 0; g <= groups; g++) groupStart[g] = counts[Math.min(g * SIZE_BUCKETS, counts.length - 1)];
  const order = new Uint32Array(U - idleCount);
  const idle = new Uint32Array(idleCount);
  let ni = 0;
  for (let u = 0; u < U; u++) {
    if (keys[u] === 0xffffffff) idle[ni++] = u;
    else order[counts[keys[u]]++] = u;
  }
  return { order, groupStart, idle };
}
