/**
 * Scale-out/in recommendations from what the reservations will add up to at each forecast step.
 * Out: as soon as a step needs more instances than are running or warming, needed from the plan
 * that must hold that demand (the lead time before it). In: only when the largest need over the whole horizon is
 * below what runs, so Earmark never scales in ahead of a forecast peak; a few at a time.
 */
import type { ScalingRecommendation } from '../../domain/plan';
import { DIMS } from '../demand';
import { DIM_NAMES, InstanceTable, overcommitted } from '../instance-table';
import type { Policy } from '../policy';
import { instanceClassByName } from '../policy';

export interface ScalingInput {
  policy: Policy;
  table: InstanceTable;
  /** stepTotals[h * DIMS + d] from computeWants, for h >= firstStep. */
  stepTotals: Float64Array;
  firstStep: number;
  horizon: number;
  issuedAtMs: number;
  stepMs: number;
  nowMs: number;
}

/** Instances of the scaling class each step needs, beyond what the other classes hold. */
export function instancesNeeded(x: ScalingInput): { perStep: Int32Array; limitedBy: string[] } {
  const { policy, table } = x;
  const cls = instanceClassByName(policy, policy.scaling.instanceClass)!;
  const share = policy.reservable ?? 1;
  const per = overcommitted(cls.capacity, policy).map((v) => v * share * policy.scaling.targetUtilization);
  const others = new Float64Array(DIMS);
  table.instances.forEach((inst, i) => {
    if (inst.instanceClass === cls.name || !table.usable[i]) return;
    for (let d = 0; d < DIMS; d++) others[d] += table.cap[i * DIMS + d] * policy.scaling.targetUtilization;
  });
  const perStep = new Int32Array(x.horizon);
  const limitedBy: string[] = [];
  for (let h = x.firstStep; h < x.horizon; h++) {
    let n = 0;
    let by = 'minInstances';
    for (let d = 0; d < DIMS; d++) {
      const rest = Math.max(0, x.stepTotals[h * DIMS + d] - others[d]);
      if (rest <= 0) continue;
      const k = per[d] > 0 ? Math.ceil(rest / per[d] - 1e-9) : policy.scaling.maxInstances;
      if (k > n) [n, by] = [k, DIM_NAMES[d]];
    }
    perStep[h] = Math.min(policy.scaling.maxInstances, Math.max(policy.scaling.minInstances, n));
    limitedBy[h] = by;
  }
  return { perStep, limitedBy };
}

export function recommendScaling(x: ScalingInput): ScalingRecommendation[] {
  const { policy, table } = x;
  const cls = instanceClassByName(policy, policy.scaling.instanceClass);
  if (!cls || x.firstStep >= x.horizon) return [];
  const current = table.instances.filter(
    (i) => i.instanceClass === cls.name && i.state !== 'draining',
  ).length;
  const { perStep, limitedBy } = instancesNeeded(x);
  let peak = 0;
  let peakStep = x.firstStep;
  let firstAbove = -1;
  for (let h = x.firstStep; h < x.horizon; h++) {
    if (perStep[h] > peak) [peak, peakStep] = [perStep[h], h];
    if (firstAbove < 0 && perStep[h] > current) firstAbove = h;
  }
  const stepAt = (h: number): number => x.issuedAtMs + h * x.stepMs;
  const minutes = ((x.horizon - x.firstStep) * x.stepMs) / 60_000;
  if (firstAbove >= 0) {
    // stepTotals[h] is what the plan issued at step h holds (its window already reaches a lead time ahead).
    const neededAtMs = Math.max(x.nowMs, stepAt(firstAbove));
    const late = neededAtMs - cls.warmupMs < x.nowMs;
    return [
      {
        instanceClass: cls.name,
        delta: peak - current,
        desired: peak,
        neededAtMs,
        reason:
          `forecast needs ${peak} (${limitedBy[peakStep]}) from ${new Date(stepAt(firstAbove)).toISOString()}; ` +
          `${current} running or warming` +
          (late ? `; warmup ${cls.warmupMs / 1000}s makes it late` : ''),
      },
    ];
  }
  const removable = Math.min(current - peak, policy.scaling.maxScaleInStep);
  if (removable > 0) {
    return [
      {
        instanceClass: cls.name,
        delta: -removable,
        desired: current - removable,
        neededAtMs: x.nowMs,
        reason: `largest need over the next ${minutes} min is ${peak}; ${current} running or warming`,
      },
    ];
  }
  return [];
}
