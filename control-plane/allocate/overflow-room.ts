/**
 * Overflow room (the tier's `overflowRoom`): what a capped reservation's overflow will occupy on
 * demand, packed beside the reservation but not reserved. The packer places reservation + room, the
 * plan reserves the reservation only and records the room the packer kept (plan.overflowRoom), and
 * the next cycle's instance table counts that room's live use as expected rather than as unplanned
 * load (else the overflow it was kept for would take room twice). Room the packer dropped is not
 * recorded: counted, it would hide the unplanned load beside the reservation.
 */
import type { Capacity, Instance } from '../domain/instance';
import type { Plan } from '../domain/plan';
import type { Policy } from './policy';
import * as demand from './demand';
import type { Wants } from './demand';
import { capacityDims } from './amounts';
import { overcommitted } from './instance-table';

const { A_BW, A_CPU, A_MEM, A_SLOTS, AMOUNTS, DIM_AMOUNT, DIMS } = demand;

/**
 * The wants as the packer sees them: reservation plus room (the same object when no user has
 * room). The room is copied too: the packer zeroes the room it drops (pack.ts dropRoom), so after
 * packing it holds the room kept.
 */
export function packingWants(w: Wants): Wants {
  if (!w.room.some((x) => x > 0)) return w;
  const amount = Float64Array.from(w.amount);
  for (let k = 0; k < amount.length; k++) amount[k] += w.room[k];
  return { ...w, amount, room: Float64Array.from(w.room) };
}

/** The room kept beside each reservation of the plan (packing.room after packing), by user. */
export function keptRoom(packing: Wants, reservations: Plan['reservations']): Map<string, Capacity> {
  const out = new Map<string, Capacity>();
  const r = packing.room;
  for (let o = 0, u = 0; o < r.length; o += AMOUNTS, u++) {
    if (!(r[o + A_SLOTS] > 0 || r[o + A_CPU] > 0 || r[o + A_MEM] > 0 || r[o + A_BW] > 0)) continue;
    if (!reservations.has(packing.users[u])) continue;
    out.set(packing.users[u], {
      slots: r[o + A_SLOTS],
      cpuMillicores: r[o + A_CPU],
      memoryMb: r[o + A_MEM],
      bandwidthKbps: r[o + A_BW],
    });
  }
  return out;
}

/**
 * Room per instance of the current plan (by instance id, DIMS each): the room that plan kept
 * beside each reservation, where the reservation is now. Empty when it kept none.
 */
export function roomByInstance(current: Plan | undefined): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [user, c] of current?.overflowRoom ?? []) {
    const r = current!.reservations.get(user);
    if (!r) continue;
    let at = out.get(r.instanceId);
    if (!at) out.set(r.instanceId, (at = new Float64Array(DIMS)));
    const dims = capacityDims(c);
    for (let d = 0; d < DIMS; d++) at[d] += dims[d];
  }
  return out;
}

/**
 * Drops the room of users whose reservation plus room fits on no instance even empty, before
 * packing. The packer would drop such room anyway (pack.ts dropRoom), but only after the user had
 * failed the stay pass on its own instance with it, and then be placed anew, maybe elsewhere:
 * dropped here, a staying user is tried where it is with its bare reservation first.
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
