/**
 * The cycle's Prometheus metrics, on the service's registry: a histogram per stage, outcomes,
 * failures by stage, top-ups, and the plan's size. Registered once per registry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { STAGES, type StageName } from './status';

// Stage times run from a millisecond (allocating a few users) to tens of seconds (10^6 users).
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class CycleMetrics {
  readonly stageSeconds: Histogram<'stage'>;
  readonly cycleSeconds: Histogram;
  readonly cycles: Counter<'outcome'>;
  readonly failures: Counter<'stage'>;
  readonly lastSuccess: Gauge;
  readonly planUsers: Gauge<'kind'>;
  readonly topUps: Counter<'outcome'>;
  readonly scaling: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.stageSeconds = new Histogram({
      name: 'earmark_cycle_stage_seconds',
      help: 'Processing time of each cycle stage (read, forecast, allocate, publish, record).',
      labelNames: ['stage'],
      buckets: BUCKETS,
      registers,
    });
    this.cycleSeconds = new Histogram({
      name: 'earmark_cycle_seconds',
      help: 'Processing time of whole cycles, failed ones included.',
      buckets: BUCKETS,
      registers,
    });
    this.cycles = new Counter({
      name: 'earmark_cycles_total',
      help: 'Cycle ticks by outcome: ok, failed, or skipped (the previous cycle was still running).',
      labelNames: ['outcome'],
      registers,
    });
    this.failures = new Counter({
      name: 'earmark_cycle_failures_total',
      help: 'Failed cycles by the stage that failed; the last good plan stays in force.',
      labelNames: ['stage'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'earmark_cycle_last_success_timestamp_seconds',
      help: 'Service-clock time of the last cycle that published a plan.',
      registers,
    });
    this.planUsers = new Gauge({
      name: 'earmark_plan_users',
      help: 'Users in the plan in force: forecast, reserved (holding something), squeezed.',
      labelNames: ['kind'],
      registers,
    });
    this.topUps = new Counter({
      name: 'earmark_topups_total',
      help: 'Top-ups on shortfall between cycles: granted, partial, refused.',
      labelNames: ['outcome'],
      registers,
    });
    this.scaling = new Counter({
      name: 'earmark_scaling_deliveries_total',
      help: 'Scaling recommendation deliveries: delivered, failed, dry_run (forecast_only mode), skipped (one in flight).',
      labelNames: ['outcome'],
      registers,
    });
    // Zero series exist from the start, so dashboards and alerts see them before the first event.
    for (const s of STAGES) this.failures.inc({ stage: s }, 0);
    for (const o of ['ok', 'failed', 'skipped']) this.cycles.inc({ outcome: o }, 0);
    for (const o of ['granted', 'partial', 'refused']) this.topUps.inc({ outcome: o }, 0);
    for (const o of ['delivered', 'failed', 'dry_run', 'skipped']) this.scaling.inc({ outcome: o }, 0);
  }

  stage(stage: StageName, ms: number): void {
    this.stageSeconds.observe({ stage }, ms / 1000);
  }
}
