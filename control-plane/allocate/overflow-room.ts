/**
 * Overflow room (the tier's `overflowRoom`): what a capped reservation's overflow will occupy on
 * demand, packed beside the reservation but not reserved. The packer places reservation + room, the
 * plan reserves the reservation only, and the instance table counts the room's live use as expected
 * rather than as unplanned load (else the overflow it was kept for would take room twice).
 */
import type { Plan } from '../domain/plan';
import * as demand from './demand';
import type { Wants } from './demand';

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
