/**
 * The allocation policy, typed: tiers and their quantiles, overcommit, lead time, instance classes
 * and costs, stickiness and scaling. Loaded from YAML by load-policy.ts (every field, its default
 * and an example are in README.md); the allocator, top-up and scaling read only this.
 */
import type { Capacity } from '../domain/instance';
import type { ExhaustedAction } from '../domain/reservation';

/** What a reservation holds; the caps of a tier use the same fields (Infinity = no cap). */
export interface Amounts {
  slots: number;
  ratePerMinute: number;
  cpuMillicores: number;
  memoryMb: number;
  bandwidthKbps: number;
}

export const AMOUNT_FIELDS = [
  'slots',
  'ratePerMinute',
  'cpuMillicores',
  'memoryMb',
  'bandwidthKbps',
] as const;
export const CAPACITY_FIELDS = ['slots', 'cpuMillicores', 'memoryMb', 'bandwidthKbps'] as const;

export interface TierPolicy {
  name: string;
  /** Forecast quantile the reservation must cover, in (0, 1). */
  quantile: number;
  /** Higher wins under scarcity and in the filter's queues. */
  priority: number;
  maxQueueWaitMs: number;
  onExhausted: ExhaustedAction;
  /** Multiplier on the quantile forecast (>= 1 adds headroom). */
  headroom: number;
  /** Slots held whenever the forecast is above zero (0 = none). */
  minSlots: number;
  /**
   * Pre-warm / keep-warm threshold: at least one slot (and minSlots) is held at every step where
   * the forecast's P(active) (ForecastBatch.activity, for sparse users) is above it. Absent or 1: off.
   */
  warmAbove?: number;
  /**
   * Peak hold: wherever the forecast is above zero, hold at least the largest concurrency the user
   * showed over this much recent history (allocate/peak-hold.ts). Absent or 0: off.
   */
  holdPeakMs?: number;
  /**
   * Overflow room: the share of what the slots cut by `max.slots` would occupy that is packed beside
   * the capped reservation without being reserved, so the overflow the cap sends on demand finds
   * memory on or near that instance (allocate/README.md). Absent or 0: off.
   */
  overflowRoom?: number;
  /** Most a user of the tier may hold, from allocation and top-ups together. */
  max: Amounts;
  /** Redirect target for this tier; empty = the policy's fallback. */
  fallback: string;
}

export interface InstanceClassPolicy {
  name: string;
  capacity: Capacity;
  costPerHour: number;
  /** Time from asking for an instance until it serves (the scaling lead). */
  warmupMs: number;
}

export type ScalingMode = 'forecast_only' | 'forecast_and_scale';

export interface WebhookTarget {
  url: string;
  timeoutMs: number;
  /** Attempts after the first, on network errors, 429 and 5xx. */
  retries: number;
  backoffMs: number;
  headers: Record<string, string>;
}

export interface KubernetesTarget {
  apiServer: string;
  namespace: string;
  /** Bearer token, or the file it is read from at delivery time. */
  token: string;
  tokenFile: string;
  caFile: string;
  insecureSkipTlsVerify: boolean;
  timeoutMs: number;
  /** Instance class -> Deployment name. */
  deployments: Record<string, string>;
}

export interface ScalingPolicy {
  mode: ScalingMode;
  /** Class that is added when more capacity is needed (default: the first class). */
  instanceClass: string;
  /** Share of effective capacity planned to be in use. */
  targetUtilization: number;
  minInstances: number;
  maxInstances: number;
  /** Most instances removed per cycle. */
  maxScaleInStep: number;
  webhook?: WebhookTarget;
  kubernetes?: KubernetesTarget;
}

export interface Overcommit {
  slots: number;
  cpu: number;
  memory: number;
  bandwidth: number;
}

export interface Policy {
  /** By priority, highest first. */
  tiers: TierPolicy[];
  defaultTier: string;
  /** Reservations are in place this long before the demand they cover. */
  leadTimeMs: number;
  /** How long a reservation stays valid without a newer plan. */
  validityMs: number;
  /** Live load older than this is ignored. */
  loadMaxAgeMs: number;
  /**
   * Token-bucket burst of each reservation, as this many ms of its rate (0 or absent: as many
   * tokens as slots, the filter's default). Lets a reservation absorb the burstiness of arrivals
   * its per-minute rate is forecast for.
   */
  rateBurstMs?: number;
  overcommit: Overcommit;
  /**
   * Share of each instance's capacity x overcommit that reservations may fill (absent: 1). Below 1
   * keeps room on reserved instances for sandboxes no plan holds: an instance packed full of
   * reservations cannot start a reserved user's overflow or an on-demand sandbox there.
   */
  reservable?: number;
  /** Per slot, used when the forecast has no series for a resource. */
  perSlot: { requestsPerMinute: number; cpuMillicores: number; memoryMb: number; bandwidthKbps: number };
  fallback: string;
  instanceClasses: InstanceClassPolicy[];
  stickiness: { consolidateBelow: number; maxMovesPerCycle: number };
  scaling: ScalingPolicy;
}

export const NO_CAP: Amounts = {
  slots: Infinity,
  ratePerMinute: Infinity,
  cpuMillicores: Infinity,
  memoryMb: Infinity,
  bandwidthKbps: Infinity,
};

export function tierByName(policy: Policy, name: string | undefined): TierPolicy {
  const t = name === undefined ? undefined : policy.tiers.find((x) => x.name === name);
  return t ?? policy.tiers.find((x) => x.name === policy.defaultTier)!;
}

export function instanceClassByName(policy: Policy, name: string): InstanceClassPolicy | undefined {
  return policy.instanceClasses.find((c) => c.name === name);
}
