import type { Capacity } from './instance';
import type { Reservation } from './reservation';

/** A user who got less than the tier's quantile asked for, because capacity ran out. */
export interface Squeeze {
  user: string;
  tier: string;
  wanted: Capacity;
  granted: Capacity;
  reason: string;
}

/** Instances to add or remove, and when they are needed. */
export interface ScalingRecommendation {
  instanceClass: string;
  /** Positive: add; negative: remove. */
  delta: number;
  /** Instances of this class wanted in total from neededAtMs. */
  desired: number;
  neededAtMs: number;
  reason: string;
}

/** One allocation cycle's output. Published to proxies atomically. */
export interface Plan {
  version: string;
  issuedAtMs: number;
  reservations: Map<string, Reservation>;
  squeezed: Squeeze[];
  scaling: ScalingRecommendation[];
  /**
   * Room the allocator kept free beside a user's reservation for its overflow (by user; the
   * tier's overflowRoom), as packed, not reserved. Never distributed; stored with the plan
   * (store/plans.ts), so the next cycle, after a restart too, counts it as expected load on the
   * reservation's instance. Absent: none kept.
   */
  overflowRoom?: Map<string, Capacity>;
}
