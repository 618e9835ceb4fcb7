/**
 * Top-up between cycles: usage reports pass through here on their way to the store; a user whose
 * report flags a shortfall (the filter counted requests its tier wanted topped up) gets more at
 * once from the free capacity of their instance (the allocator's CapacityLedger, within the tier's
 * caps), published to the proxies as one change without waiting for the next cycle.
 */
import { shortfallToExtra } from '../allocate/top-up';
import type { Logger } from '../domain/logger';
import type { Reservation } from '../domain/reservation';
import type { UsageReport, UsageSink, UserUsage } from '../domain/usage';
import type { Cycle } from './cycle';
import type { CycleMetrics } from './metrics';
import type { PlanPublisher } from './stages';

export interface TopUpOptions {
  /** Where reports are stored (the store); its promise is what the distribution server awaits. */
  sink: UsageSink;
  cycle: Cycle;
  publisher: PlanPublisher;
  metrics: CycleMetrics;
  logger: Logger;
}

/** Flagged users held back while a cycle allocates; past this many, refused (the next report asks again). */
export const MAX_DEFERRED_TOP_UPS = 100_000;

export class ShortfallTopUp implements UsageSink {
  /** Top-up publishes on the plan in force, to name them `<plan version>+t<n>`. */
  private publishesOnPlan = 0;
  private planVersion: string | undefined;
  /** Reports with shortfalls that arrived while a cycle allocated, and how many users they flag. */
  private deferred: { report: UsageReport; flagged: UserUsage[] }[] = [];
  private deferredUsers = 0;

  constructor(private readonly o: TopUpOptions) {}

  writeUsage(report: UsageReport): void | Promise<void> {
    const stored = this.o.sink.writeUsage(report);
    this.safely(report, () => this.onReport(report));
    return stored;
  }

  /** A top-up problem is logged, never thrown: it must not lose the report or other top-ups. */
  private safely(report: UsageReport, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.logger.error('top-up failed', { node: report.nodeId, error: (err as Error).message });
    }
  }

  private onReport(report: UsageReport): void {
    const flagged = report.users.filter((u) => u.shortfall > 0);
    if (flagged.length === 0) return;
    // While a cycle allocates (seconds at 10^6 users, the event loop turning meanwhile), a grant on
    // the plan in force would be replaced by the new plan moments later: granted on that one instead.
    // Past the cap they are refused, not granted at once: a grant changes the plan in force in
    // place, which the allocation under way reads.
    if (this.o.cycle.allocating) {
      if (this.deferredUsers + flagged.length > MAX_DEFERRED_TOP_UPS) return this.refuseAll(flagged);
      if (this.deferred.length === 0) this.o.cycle.whenSettled(() => this.grantDeferred());
      this.deferred.push({ report, flagged });
      this.deferredUsers += flagged.length;
      return;
    }
    this.grant(report, flagged);
  }

  private refuseAll(flagged: UserUsage[]): void {
    const counts = this.o.cycle.topUps;
    for (const u of flagged) {
      counts.requested++;
      counts.refused++;
      counts.lastReason = `${u.user}: a cycle is allocating and ${MAX_DEFERRED_TOP_UPS} top-ups already wait for it`;
      this.o.metrics.topUps.inc({ outcome: 'refused' });
    }
  }

  private grantDeferred(): void {
    const held = this.deferred;
    this.deferred = [];
    this.deferredUsers = 0;
    for (const { report, flagged } of held) this.safely(report, () => this.grant(report, flagged));
  }

  private grant(report: UsageReport, flagged: UserUsage[]): void {
    const { cycle, metrics } = this.o;
    const counts = cycle.topUps;
    const plan = cycle.currentPlan;
    const ledger = cycle.currentLedger;
    const policy = cycle.currentPolicy;
    const changed: Reservation[] = [];
    for (const u of flagged) {
      counts.requested++;
      const r = plan?.reservations.get(u.user);
      let reason: string;
      let outcome: 'granted' | 'partial' | 'refused' = 'refused';
      if (!plan || !ledger || !policy || ledger.plan !== plan) reason = 'no cycle has allocated yet';
      else if (!r) reason = 'user has no reservation';
      else {
        const res = ledger.topUp({
          user: u.user,
          extra: shortfallToExtra(u, report.intervalMs, r, policy.policy),
        });
        reason = res.reason;
        if (res.reservation && res.reservation !== r) {
          changed.push(res.reservation);
          outcome = res.complete ? 'granted' : 'partial';
        }
      }
      counts[outcome]++;
      counts.lastReason = `${u.user}: ${reason}`;
      metrics.topUps.inc({ outcome });
    }
    if (changed.length === 0 || !plan) return;
    if (this.planVersion !== plan.version) {
      this.planVersion = plan.version;
      this.publishesOnPlan = 0;
    }
    const systemVersion = `${plan.version}+t${++this.publishesOnPlan}`;
    this.o.publisher.publishChanges({ upsert: changed, systemVersion });
    counts.publishes++;
    this.o.logger.info('top-up published', {
      version: systemVersion,
      users: changed.map((r) => r.user),
      node: report.nodeId,
    });
  }
}
