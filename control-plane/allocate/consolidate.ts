/**
 * Fewer instances: an instance used less than `consolidateBelow` is emptied when every user on it
 * fits, in full, on the other instances in use, within the cycle's budget of moves. Emptied
 * instances become scale-in candidates. Each move is a penalty (the user's reservation changes
 * instance), so only whole instances are emptied, and only when something is gained.
 */
import * as demand from './demand';
import type { InstanceTable } from './instance-table';
import type { PackResult } from './pack';
import * as packer from './packer';

// Module-level copies: tsx compiles imported bindings to getter calls, too slow in 10^6-user loops.
const { AMOUNTS, DIM_AMOUNT, DIMS } = demand;
const { release, take } = packer;

export interface ConsolidationResult {
  emptied: number[];
  moves: number;
}

function utilization(t: InstanceTable, free: Float64Array, i: number): number {
  let u = 0;
  for (let d = 0; d < DIMS; d++) {
    const c = t.cap[i * DIMS + d];
    if (c > 0) u = Math.max(u, (c - free[i * DIMS + d]) / c);
  }
  return u;
}

export function consolidate(
  p: PackResult,
  t: InstanceTable,
  amount: Float64Array,
  below: number,
  maxMoves: number,
): ConsolidationResult {
  const s = p.state;
  const out: ConsolidationResult = { emptied: [], moves: 0 };
  if (below <= 0 || maxMoves <= 0 || p.squeezed.length > 0 || s.nUsed < 2) return out;
  const I = t.instances.length;
  // Users holding something, grouped by instance (CSR).
  const start = new Int32Array(I + 1);
  const holds = (u: number): boolean => {
    for (let k = 0; k < AMOUNTS; k++) if (amount[u * AMOUNTS + k] > 0) return true;
    return false;
  };
  for (let u = 0; u < p.assign.length; u++) if (p.assign[u] >= 0 && holds(u)) start[p.assign[u] + 1]++;
  for (let i = 0; i < I; i++) start[i + 1] += start[i];
  const members = new Int32Array(start[I]);
  const fill = start.slice(0, I);
  for (let u = 0; u < p.assign.length; u++)
    if (p.assign[u] >= 0 && holds(u)) members[fill[p.assign[u]]++] = u;

  const candidates = Array.from(s.usedList.subarray(0, s.nUsed))
    .map((i) => ({ i, util: utilization(t, s.free, i) }))
    .filter((c) => c.util < below)
    .sort((x, y) => x.util - y.util || x.i - y.i);
  const closed = new Uint8Array(I);
  for (const { i } of candidates) {
    if (utilization(t, s.free, i) >= below) continue; // it took others' users meanwhile
    const users = members.subarray(start[i], start[i + 1]).filter((u) => p.assign[u] === i);
    if (users.length > maxMoves - out.moves) continue;
    closed[i] = 1;
    const moved: [number, number][] = [];
    for (const u of users) {
      const to = firstFit(s.free, s.usedList, s.nUsed, closed, amount, u * AMOUNTS);
      if (to < 0) break;
      take(s, to, amount, u * AMOUNTS);
      moved.push([u, to]);
    }
    if (moved.length < users.length) {
      for (const [u, to] of moved) release(s, to, amount, u * AMOUNTS);
      closed[i] = 0;
      continue;
    }
    for (const [u, to] of moved) {
      release(s, i, amount, u * AMOUNTS);
      p.assign[u] = to;
    }
    s.used[i] = 0;
    out.emptied.push(i);
    out.moves += moved.length;
  }
  if (out.emptied.length > 0) {
    let n = 0;
    for (let k = 0; k < s.nUsed; k++) if (s.used[s.usedList[k]]) s.usedList[n++] = s.usedList[k];
    s.nUsed = n;
    s.cursor = 0;
  }
  return out;
}

function firstFit(
  free: Float64Array,
  list: Int32Array,
  n: number,
  closed: Uint8Array,
  amount: Float64Array,
  o: number,
): number {
  next: for (let k = 0; k < n; k++) {
    const i = list[k];
    if (closed[i]) continue;
    for (let d = 0; d < DIMS; d++) {
      const x = amount[o + DIM_AMOUNT[d]];
      if (x > 0 && x > free[i * DIMS + d]) continue next;
    }
    return i;
  }
  return -1;
}
