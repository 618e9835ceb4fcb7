/**
 * Overflow room (the tier's `overflowRoom`): what a capped reservation's overflow will occupy on
 * demand, packed beside the reservation but not reserved. The packer places reservation + room, the
 * plan reserves the reservation only, and the instance table counts the room's live use as expected
 * rather than as unplanned load (else the overflow it was kept for would take room twice).
 */
import type { Instance } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { Policy } from './policy';
import * as demand from './demand';
import type { Wants } from './demand';
import { overcommitted } from './instance-table';

const { AMOUNTS, DIM_AMOUNT, DIMS } = demand;

/** The wants as the packer sees them: reservation plus room (the same object when no user has room). */
export function packingWants(w: Wants): Wants {
  if (!w.room.some((x) => x > 0)) return w;
  const amount = Float64Array.from(w.amount);
  for (let k = 0; k < amount.length; k++) amount[k] += w.room[k];
  return { ...w, amount };
}

/**
 * Room per instance of the current plan (by instance id, DIMS each): the room this cycle's wants
 * give each user that holds a reservation there now. Empty when no user has room.
 */
export function roomByInstance(w: Wants, current: Plan | undefined): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  if (!current) return out;
  for (let u = 0; u < w.users.length; u++) {
    const o = u * AMOUNTS;
    let any = false;
    for (let k = 0; k < AMOUNTS; k++) if (w.room[o + k] > 0) any = true;
    if (!any) continue;
    const r = current.reservations.get(w.users[u]);
    if (!r) continue;
    let at = out.get(r.instanceId);
    if (!at) out.set(r.instanceId, (at = new Float64Array(DIMS)));
    for (let d = 0; d < DIMS; d++) at[d] += w.room[o + DIM_AMOUNT[d]];
  }
  return out;
}

/**
 * Drops the room of users whose reservation plus room fits on no instance even empty: the packer
 * could never keep it, and counted as expected load it would hide the unplanned load beside them.
 */
export function roomThatFits(w: Wants, instances: readonly Instance[], policy: Policy): void {
  const share = policy.reservable ?? 1;
  const limits = instances.map((i) => overcommitted(i.capacity, policy).map((x) => Math.floor(x * share)));
  const fitsEmpty = (o: number, limit: number[]): boolean => {
    for (let d = 0; d < DIMS; d++)
      if (w.amount[o + DIM_AMOUNT[d]] + w.room[o + DIM_AMOUNT[d]] > limit[d]) return false;
    return true;
  };
  for (let o = 0; o < w.room.length; o += AMOUNTS) {
    if (!w.room.subarray(o, o + AMOUNTS).some((x) => x > 0)) continue;
    if (!limits.some((limit) => fitsEmpty(o, limit))) w.room.fill(0, o, o + AMOUNTS);
  }
}
