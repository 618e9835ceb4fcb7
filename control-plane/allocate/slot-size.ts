/**
 * What one slot of a user holds (cpu, memory, bandwidth per request in flight), for the slots the
 * allocator raises above the forecast (minSlots, peak hold, warm slots): they must bring their
 * memory along, or the packer would count them free.
 *
 * From the user's own forecast: the largest ratio of amount to concurrency over the horizon's
 * steps (the largest, so a raised slot never holds less than a sandbox of any step). The two
 * quantile forecasts are made separately and do not shrink together, so a step with almost no
 * concurrency forecast gave 2.56 MB / 0.0000055 = 465,504 MB for one slot of a 124 MB function
 * (session 9, hour 900): a reservation larger than any instance, squeezed as "too large".
 *
 * A slot is one sandbox, and no sandbox is larger than the largest instance: a ratio above that is
 * an artefact by construction. Only there the size is replaced by the largest the user's history
 * showed per request in flight times SLOT_SIZE_HISTORY_FACTOR (a sandbox may grow, a new release),
 * or by the largest instance where the user has no history. Such users are counted
 * (AllocationStats.slotSizeBounded) and logged by the service. Bounding every size above
 * 2× (or 10×) the history was tried and dropped: 7–83 users a cycle, and it moved the default hour
 * of the end-to-end benchmark over issue 10's bar (bench/e2e/README.md, session 9).
 */
import type { DemandWindows, ResourceKind } from '../domain/demand';
import type { Instance } from '../domain/instance';
import * as amounts from './amounts';
import { historyRow } from './peak-hold';

const { A_BW, A_CPU, A_MEM, A_RATE, A_SLOTS, AMOUNTS, DIM_AMOUNT, capacityDims } = amounts;

/** A slot may hold up to this many times the largest size per request in flight its history showed. */
export const SLOT_SIZE_HISTORY_FACTOR = 2;

/** What user u's history showed per request in flight of amount k. */
export interface SlotSizeBound {
  /** The largest size per request in flight of amount k user u's history showed (NaN: none). */
  largest(u: number, k: number): number;
}

/**
 * One user's per-slot amounts into out[k]: the largest ratio to concurrency of its forecast
 * values before rounding (raw[h * AMOUNTS + k], steps firstStep..H-1; series[k] < 0: not
 * forecast, 0). Where one is above `limit[k]` (the largest instance), it is replaced by what
 * `bound` says user u's history showed × SLOT_SIZE_HISTORY_FACTOR, at most the limit; true if so.
 */
export function slotSize(
  raw: Float64Array,
  firstStep: number,
  H: number,
  series: Int32Array,
  limit: Float64Array | undefined,
  bound: SlotSizeBound | undefined,
  u: number,
  out: Float64Array,
): boolean {
  let bounded = false;
  for (let k = 1; k < AMOUNTS; k++) {
    out[k] = 0;
    if (series[k] < 0) continue;
    for (let h = firstStep; h < H; h++) {
      const c = raw[h * AMOUNTS + A_SLOTS];
      if (c > 0) out[k] = Math.max(out[k], raw[h * AMOUNTS + k] / c);
    }
    if (limit === undefined || k === A_RATE || !(out[k] > limit[k])) continue;
    const seen = bound === undefined ? NaN : bound.largest(u, k);
    out[k] = seen >= 0 ? Math.min(limit[k], seen * SLOT_SIZE_HISTORY_FACTOR) : limit[k];
    bounded = true;
  }
  return bounded;
}

/**
 * The largest capacity of any instance per amount index (what one sandbox can at most hold);
 * undefined without instances (nothing can be placed then, and every size would count as an
 * artefact and be logged as one, e.g. before the first instance registers).
 */
export function largestInstance(instances: readonly Instance[]): Float64Array | undefined {
  if (instances.length === 0) return undefined;
  const out = new Float64Array(AMOUNTS); // the rate has no instance limit: left 0, never read
  for (const i of instances)
    capacityDims(i.capacity).forEach((v, d) => (out[DIM_AMOUNT[d]] = Math.max(out[DIM_AMOUNT[d]], v)));
  return out;
}

const PER_SLOT: [number, ResourceKind][] = [
  [A_CPU, 'cpu'],
  [A_MEM, 'memory'],
  [A_BW, 'bandwidth'],
];

/** The largest amount per request in flight in each user's history, read per user when asked (rarely). */
export class HistorySlotSizes implements SlotSizeBound {
  private readonly row: (u: number) => number | undefined;
  private readonly col = new Int32Array(AMOUNTS).fill(-1);
  private readonly conc: number;

  constructor(
    users: readonly string[],
    private readonly h: DemandWindows,
  ) {
    this.row = historyRow(users, h);
    this.conc = h.resources.indexOf('concurrency');
    for (const [k, name] of PER_SLOT) this.col[k] = h.resources.indexOf(name);
  }

  largest(u: number, k: number): number {
    const i = this.row(u);
    const r = this.col[k];
    if (i === undefined || this.conc < 0 || r < 0) return NaN;
    const { values: v, steps: T } = this.h;
    const R = this.h.resources.length;
    const c0 = (i * R + this.conc) * T;
    const o = (i * R + r) * T;
    let m = NaN;
    // Concurrency here is the peak in flight, whole requests: above zero it is at least one.
    // NaN (no data) fails every comparison and is skipped.
    for (let t = 0; t < T; t++) {
      const c = v[c0 + t];
      const x = v[o + t];
      if (c > 0 && x >= 0 && !(x / c <= m)) m = x / c;
    }
    return m;
  }
}
