import type { Capacity } from '../domain/instance';

/**
 * The layout of the allocator's columnar arrays (re-exported by demand.ts, where they began): a
 * file of its own so that modules demand.ts imports can use it without an import cycle.
 */

/** amount[u * AMOUNTS + k]: slots, ratePerMinute, cpuMillicores, memoryMb, bandwidthKbps. */
export const AMOUNTS = 5;
export const A_SLOTS = 0;
export const A_RATE = 1;
export const A_CPU = 2;
export const A_MEM = 3;
export const A_BW = 4;
/** Packing dimensions (instance capacity): slots, cpu, memory, bandwidth, as amount indices. */
export const DIMS = 4;
export const DIM_AMOUNT = [A_SLOTS, A_CPU, A_MEM, A_BW] as const;

/** A capacity's packing dimensions, in DIM_AMOUNT's order. */
export function capacityDims(c: Capacity): number[] {
  return [c.slots, c.cpuMillicores, c.memoryMb, c.bandwidthKbps];
}
