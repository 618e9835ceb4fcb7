/**
 * Sends a plan's scaling recommendations where the policy says: the webhook gets each cycle's
 * non-empty list; Kubernetes Deployments are scaled when a recommendation is due (its instances
 * must be asked for before the next cycle to be warm in time). In forecast_only mode, like AWS
 * predictive scaling's "forecast only", nothing is sent: the result says what would have been.
 */
import type { Plan, ScalingRecommendation } from '../../domain/plan';
import type { Policy } from '../policy';
import { instanceClassByName } from '../policy';
import { patchScale } from './kubernetes';
import { DeliveryOutcome, postWebhook } from './webhook';

export interface ScalingDelivery {
  dryRun: boolean;
  /** The webhook's JSON body (sent, or that would have been). */
  payload?: WebhookPayload;
  webhook?: DeliveryOutcome;
  /** Deployment -> replicas patched (or that would have been). */
  patches: { instanceClass: string; deployment: string; replicas: number }[];
  kubernetes: DeliveryOutcome[];
  /** Recommendations not acted on in Kubernetes yet, and why. */
  deferred: string[];
}

export interface WebhookPayload {
  planVersion: string;
  issuedAtMs: number;
  mode: string;
  recommendations: ScalingRecommendation[];
}

/** A scale-out is due when waiting one more cycle would leave its instances cold at neededAtMs. */
export function isDue(rec: ScalingRecommendation, warmupMs: number, nowMs: number, cycleMs: number): boolean {
  return rec.delta < 0 || rec.neededAtMs - warmupMs <= nowMs + cycleMs;
}

export async function deliverScaling(
  plan: Pick<Plan, 'version' | 'issuedAtMs' | 'scaling'>,
  policy: Policy,
  ctx: { nowMs: number; cycleMs: number },
): Promise<ScalingDelivery> {
  const s = policy.scaling;
  const dryRun = s.mode === 'forecast_only';
  const out: ScalingDelivery = { dryRun, patches: [], kubernetes: [], deferred: [] };
  if (plan.scaling.length === 0) return out;
  if (s.webhook)
    out.payload = {
      planVersion: plan.version,
      issuedAtMs: plan.issuedAtMs,
      mode: s.mode,
      recommendations: plan.scaling,
    };
  for (const rec of plan.scaling) {
    const deployment = s.kubernetes?.deployments[rec.instanceClass];
    if (!deployment) continue;
    const warmup = instanceClassByName(policy, rec.instanceClass)?.warmupMs ?? 0;
    if (!isDue(rec, warmup, ctx.nowMs, ctx.cycleMs)) {
      out.deferred.push(
        `${rec.instanceClass}: +${rec.delta} needed at ${new Date(rec.neededAtMs).toISOString()}, asked for later`,
      );
      continue;
    }
    out.patches.push({ instanceClass: rec.instanceClass, deployment, replicas: rec.desired });
  }
  if (dryRun) return out;
  const sends: Promise<unknown>[] = [];
  if (s.webhook && out.payload)
    sends.push(postWebhook(s.webhook, out.payload).then((r) => (out.webhook = r)));
  for (const p of out.patches)
    sends.push(patchScale(s.kubernetes!, p.deployment, p.replicas).then((r) => out.kubernetes.push(r)));
  await Promise.all(sends);
  return out;
}
