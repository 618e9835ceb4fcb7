/**
 * The allocation policy the benchmark gives the control plane (seeded as version 1): every replayed
 * user is one tier, "function"; one instance class sized as the benchmark's companion instances
 * (memory is what binds: slots, CPU and bandwidth are left ample, the instance model has no such
 * limits). A request past a full reservation goes at once to the platform's on-demand path (the
 * fallback), never to a 429: waiting in the proxy only adds latency when the alternative is a cold
 * start. Reservations carry a bucket of 600 s of their rate (by default; `--rate-burst-s`): a
 * function platform's scarce resource is warm sandboxes, not request rate.
 */
import type { ExhaustedAction } from '../../control-plane/domain/reservation';

export interface TierKnobs {
  quantile: number;
  headroom: number;
  maxQueueWaitMs: number;
  onExhausted: ExhaustedAction;
  minSlots: number;
  /** Hold a warm slot where the forecast's P(active) is above this (1: off). */
  warmAbove: number;
  /** Hold the largest concurrency of this much recent history where anything is forecast (0: off). */
  holdPeakMs: number;
  /**
   * Most slots one user's reservation holds (0: no cap); past it, requests go on demand. A
   * reservation is pinned to one instance: one that fills much of it cannot grow there, and the
   * requests admitted on it wait for memory (bench/e2e/README.md, session 7, second part).
   */
  maxSlots: number;
  /**
   * Share of what the slots cut by maxSlots would occupy kept free (not reserved) beside the capped
   * reservation, for the overflow the cap sends on demand (the tier's overflowRoom; README session 8).
   */
  overflowRoom: number;
}

export const DEFAULT_TIER: TierKnobs = {
  quantile: 0.9,
  headroom: 1,
  maxQueueWaitMs: 50,
  onExhausted: 'redirect',
  minSlots: 1,
  warmAbove: 1,
  holdPeakMs: 300_000,
  maxSlots: 40,
  overflowRoom: 1,
};

export const TIER_NAME = 'function';
export const INSTANCE_CLASS = 'companion';
/** Where redirected requests go: the platform's on-demand path, not a companion instance. */
export const FALLBACK = 'on-demand.companion.svc:8080';

export interface PolicyInput {
  tier: TierKnobs;
  leadTimeMs: number;
  validityMs: number;
  /** Token-bucket burst of reservations, as this much time of their rate. */
  rateBurstMs: number;
  instances: number;
  instanceMemoryMb: number;
  /** Share of each instance reservations may fill (1: all of it). */
  reservable: number;
}

export function policyYaml(p: PolicyInput): string {
  const t = p.tier;
  return `# Policy of the end-to-end benchmark (bench/e2e/policy.ts): one tier, one instance class.
tiers:
  ${TIER_NAME}:
    quantile: ${t.quantile}
    priority: 10
    maxQueueWait: ${t.maxQueueWaitMs}ms
    onExhausted: ${t.onExhausted}
    headroom: ${t.headroom}
    minSlots: ${t.minSlots}
    warmAbove: ${t.warmAbove}
    holdPeak: ${t.holdPeakMs}ms
${maxSlotsLine(t.maxSlots)}${overflowRoomLine(t.overflowRoom)}defaultTier: ${TIER_NAME}
leadTime: ${p.leadTimeMs}ms
validity: ${p.validityMs}ms
rateBurst: ${p.rateBurstMs}ms
fallback: ${FALLBACK}
reservable: ${p.reservable}
overcommit:
  slots: 1
  cpu: 1
  memory: 1
  bandwidth: 1
instanceClasses:
  ${INSTANCE_CLASS}:
    capacity:
      slots: 1000000
      cpuMillicores: 1000000000
      memoryMb: ${Math.floor(p.instanceMemoryMb)}
      bandwidthKbps: 1000000000
    costPerHour: 1
    warmup: ${p.leadTimeMs}ms
scaling:
  mode: forecast_only
  instanceClass: ${INSTANCE_CLASS}
  minInstances: ${p.instances}
  maxInstances: ${p.instances}
`;
}

/** The tier's cap line, absent without a cap (so the policy is the one earlier runs used). */
function maxSlotsLine(n: number): string {
  return n > 0 ? `    max: { slots: ${n} }\n` : '';
}

/** The tier's overflow room line, absent when off (so the policy is the one earlier runs used). */
function overflowRoomLine(share: number): string {
  return share > 0 ? `    overflowRoom: ${share}\n` : '';
}
