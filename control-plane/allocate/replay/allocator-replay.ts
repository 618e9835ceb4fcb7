/**
 * The replay's "our policy" row runs the real cycle each minute: the intermittent forecaster's
 * quantiles for every function become a ForecastBatch, and allocate() turns it into a plan on one
 * large pool instance. A function is reserved in a minute when its reservation holds a slot.
 * A function's reservation is one slot and its average memory (a loaded function instance).
 */
import type { FleetHazardPrior } from '../../forecast/intermittent/fleet-prior';
import type { IntermittentSeries } from '../../forecast/intermittent/intermittent-series';
import type { ForecastBatch } from '../../domain/demand';
import type { Instance } from '../../domain/instance';
import type { Plan } from '../../domain/plan';
import { allocate } from '../allocate';
import type { Policy } from '../policy';
import type { FunctionTrace } from './azure-trace';

export const STEP_MS = 60_000;

export class AllocatorReplay {
  /** reserved[f * minutes + m] = 1 when the plan of minute m holds a slot for function f. */
  readonly reserved: Uint8Array;
  private current: Plan | undefined;
  private readonly pool: Instance[];
  private readonly q: Float32Array;

  constructor(
    private readonly trace: FunctionTrace,
    private readonly policy: Policy,
    private readonly horizon: number,
  ) {
    this.reserved = new Uint8Array(trace.ids.length * trace.minutes);
    const cls = policy.instanceClasses[0];
    this.pool = [
      { id: 'pool', address: 'pool:8080', instanceClass: cls.name, capacity: cls.capacity, state: 'ready' },
    ];
    this.q = new Float32Array(horizon);
  }

  /** One cycle at minute m, from the forecasters' state (they have seen minutes < m only). */
  cycle(m: number, series: IntermittentSeries[], prior: FleetHazardPrior): Plan {
    const N = this.trace.ids.length;
    const H = this.horizon;
    const quantile = this.policy.tiers[0].quantile;
    const values = new Float32Array(N * 2 * H);
    for (let f = 0; f < N; f++) {
      series[f].quantiles(prior, H, [quantile], this.q);
      for (let h = 0; h < H; h++) {
        const on = this.q[h] > 0 ? 1 : 0;
        values[f * 2 * H + h] = on; // concurrency: one loaded instance of the function
        values[(f * 2 + 1) * H + h] = on * this.trace.memoryMb[f];
      }
    }
    const forecast: ForecastBatch = {
      issuedAtMs: m * STEP_MS,
      stepMs: STEP_MS,
      horizon: H,
      quantiles: [quantile],
      resources: ['concurrency', 'memory'],
      users: this.trace.ids,
      values,
      modelOf: new Uint16Array(N),
      models: ['intermittent'],
    };
    const { plan } = allocate({
      nowMs: m * STEP_MS,
      cycleMs: STEP_MS,
      forecast,
      policy: this.policy,
      instances: this.pool,
      current: this.current,
    });
    this.current = plan;
    for (let f = 0; f < N; f++) {
      const r = plan.reservations.get(this.trace.ids[f]);
      if (r && r.slots > 0) this.reserved[f * this.trace.minutes + m] = 1;
    }
    return plan;
  }
}
