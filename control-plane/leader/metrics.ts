/**
 * Leader election's metrics, on the process registry (the standby serves them on its metrics port,
 * the leader on the API's /metrics and metrics port alike).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export class LeaderMetrics {
  private readonly leader: Gauge;
  private readonly acquisitions: Counter;
  private readonly losses: Counter;
  private readonly errors: Counter<'kind'>;

  constructor(registry: Registry) {
    this.leader = new Gauge({
      name: 'earmark_leader',
      help: 'Whether this control-plane replica leads (1) or stands by (0); only with leaderElection=kubernetes.',
      registers: [registry],
    });
    this.acquisitions = new Counter({
      name: 'earmark_leader_acquisitions_total',
      help: 'Times this replica took the lease.',
      registers: [registry],
    });
    this.losses = new Counter({
      name: 'earmark_leader_losses_total',
      help: 'Times this replica lost the lease while leading (not renewed in time, or taken over); it then stops.',
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'earmark_leader_lease_errors_total',
      help: 'Failed Lease API calls by kind: conflict (another writer won a race), unreachable, forbidden, malformed, error.',
      labelNames: ['kind'],
      registers: [registry],
    });
  }

  setLeader(on: boolean): void {
    this.leader.set(on ? 1 : 0);
  }
  acquired(): void {
    this.acquisitions.inc();
  }
  lost(): void {
    this.losses.inc();
  }
  error(kind: string): void {
    this.errors.inc({ kind });
  }
}
