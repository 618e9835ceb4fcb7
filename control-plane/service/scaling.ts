/**
 * Scaling recommendations after each published plan, delivered as the policy says (allocate's
 * deliverScaling: a webhook, Kubernetes scale subresources, or nothing in forecast_only mode).
 * Runs beside the cycle, never inside it: a slow webhook must not delay the next plan. One delivery
 * at a time; a plan published while one is in flight is skipped (the next cycle's supersedes it).
 */
import { deliverScaling, type ScalingDelivery } from '../allocate/scaling/deliver';
import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/logger';
import type { Plan } from '../domain/plan';
import type { CycleMetrics } from './metrics';
import type { PolicyInForce } from './policy-source';

export interface ScalingStatus {
  deliveries: number;
  skipped: number;
  last?: { planVersion: string; atMs: number; recommendations: number } & Omit<ScalingDelivery, 'payload'>;
  lastError?: string;
}

export class ScalingDeliverer {
  private inFlight = false;
  private readonly state: ScalingStatus = { deliveries: 0, skipped: 0 };

  constructor(private readonly o: { clock: Clock; cycleMs: number; metrics: CycleMetrics; logger: Logger }) {}

  async deliver(plan: Plan, policy: PolicyInForce): Promise<void> {
    if (plan.scaling.length === 0) return;
    if (this.inFlight) {
      this.state.skipped++;
      this.o.metrics.scaling.inc({ outcome: 'skipped' });
      return;
    }
    this.inFlight = true;
    const atMs = this.o.clock.now();
    try {
      const d = await deliverScaling(plan, policy.policy, { nowMs: atMs, cycleMs: this.o.cycleMs });
      const outcomes = [...(d.webhook ? [d.webhook] : []), ...d.kubernetes];
      const failed = outcomes.filter((x) => !x.ok);
      const outcome = d.dryRun ? 'dry_run' : failed.length > 0 ? 'failed' : 'delivered';
      this.o.metrics.scaling.inc({ outcome });
      const { payload: _payload, ...rest } = d;
      this.state.deliveries++;
      this.state.last = { planVersion: plan.version, atMs, recommendations: plan.scaling.length, ...rest };
      for (const f of failed)
        this.o.logger.warn('scaling delivery failed', {
          plan: plan.version,
          target: f.target,
          error: f.error,
        });
    } catch (err) {
      this.state.lastError = (err as Error).message;
      this.o.metrics.scaling.inc({ outcome: 'failed' });
      this.o.logger.error('scaling delivery failed', { plan: plan.version, error: this.state.lastError });
    } finally {
      this.inFlight = false;
    }
  }

  status(): ScalingStatus {
    return { ...this.state };
  }
}
