/**
 * What happened to every request of the evaluated window under one policy, kept columnar (a run
 * has up to millions of requests), and the figures of the report computed from it, the same way
 * for every policy:
 *
 *   added latency = queue wait (in the proxy) + wait for capacity + cold start (or the rest of a
 *                   warm-up), i.e. everything but the request's own service time;
 *   late          = served with added latency over the SLO;
 *   served from a reservation = started on a sandbox a reservation held, without a cold start,
 *                   warm-up or capacity wait (a wait in the proxy's queue is allowed).
 */

import { FATES, type Fate, type RequestOutcome } from '../../sim/instances/request-outcome';
import { quantile } from '../../sim/quantile';

export { FATES, quantile, type Fate, type RequestOutcome };
const FATE_INDEX = new Map<Fate, number>(FATES.map((f, i) => [f, i]));

export interface PolicySummary {
  policy: string;
  requests: number;
  /** Requests per fate (sums to `requests`). */
  fates: Record<Fate, number>;
  /** Requests per fate that were rejected or late (where the bad ones come from). */
  badByFate: Record<Fate, number>;
  servedReservedPct: number;
  warmPct: number;
  coldPct: number;
  capacityWaitPct: number;
  queuedPct: number;
  /** Not served: throttled (429), limited (503) or failed closed. */
  throttledPct: number;
  redirectedPct: number;
  latePct: number;
  rejectedOrLatePct: number;
  /** Added latency over served requests (throttled ones never reach an instance). */
  p50AddedMs: number;
  p99AddedMs: number;
  meanAddedMs: number;
  maxAddedMs: number;
  /** Memory GB-hours held for users (reservation + keep-alive / on-demand), and the reservation part. */
  heldGbHours: number;
  reservedGbHours: number;
}

export class OutcomeLog {
  private n = 0;
  private added = new Float32Array(1 << 16);
  private fate = new Uint8Array(1 << 16);
  private flags = new Uint8Array(1 << 16);
  /** Per minute of the window: requests, late, throttled. */
  readonly perMinute: { requests: Uint32Array; late: Uint32Array; throttled: Uint32Array; cold: Uint32Array };

  /** Per user: requests, and requests rejected or late. */
  readonly perUser: { requests: Uint32Array; bad: Uint32Array };

  constructor(
    readonly fromMs: number,
    readonly toMs: number,
    readonly sloMs: number,
    users: number,
  ) {
    this.perUser = { requests: new Uint32Array(users), bad: new Uint32Array(users) };
    const minutes = Math.ceil((toMs - fromMs) / 60_000);
    this.perMinute = {
      requests: new Uint32Array(minutes),
      late: new Uint32Array(minutes),
      throttled: new Uint32Array(minutes),
      cold: new Uint32Array(minutes),
    };
  }

  get size(): number {
    return this.n;
  }

  /** True when `atMs` (the request's arrival) is inside the evaluated window. */
  counts(atMs: number): boolean {
    return atMs >= this.fromMs && atMs < this.toMs;
  }

  add(o: RequestOutcome): void {
    if (!this.counts(o.atMs)) return;
    if (this.n === this.added.length) this.grow();
    const i = this.n++;
    const throttled = !o.served;
    const added = o.queueWaitMs + o.capacityWaitMs + o.coldMs;
    this.added[i] = throttled ? NaN : added;
    this.fate[i] = FATE_INDEX.get(o.fate)!;
    const cold = o.coldMs > 0;
    this.flags[i] =
      (o.fromReservation && !throttled ? 1 : 0) |
      (o.warm && !throttled ? 2 : 0) |
      (cold ? 4 : 0) |
      (o.capacityWaitMs > 0 ? 8 : 0) |
      (o.queueWaitMs > 0 ? 16 : 0);
    const m = Math.floor((o.atMs - this.fromMs) / 60_000);
    this.perMinute.requests[m]++;
    this.perUser.requests[o.user]++;
    if (throttled) this.perMinute.throttled[m]++;
    else if (added > this.sloMs) this.perMinute.late[m]++;
    if (throttled || added > this.sloMs) this.perUser.bad[o.user]++;
    if (cold) this.perMinute.cold[m]++;
  }

  summary(policy: string, heldGbHours: number, reservedGbHours: number): PolicySummary {
    const n = this.n;
    const fates = Object.fromEntries(FATES.map((f) => [f, 0])) as Record<Fate, number>;
    const badByFate = { ...fates };
    let reservedServed = 0;
    let warm = 0;
    let cold = 0;
    let capWait = 0;
    let queued = 0;
    let late = 0;
    let sum = 0;
    const served: number[] = [];
    for (let i = 0; i < n; i++) {
      fates[FATES[this.fate[i]]]++;
      const f = this.flags[i];
      if (f & 1) reservedServed++;
      if (f & 2) warm++;
      if (f & 4) cold++;
      if (f & 8) capWait++;
      if (f & 16) queued++;
      const a = this.added[i];
      if (Number.isNaN(a) || a > this.sloMs) badByFate[FATES[this.fate[i]]]++;
      if (Number.isNaN(a)) continue;
      served.push(a);
      sum += a;
      if (a > this.sloMs) late++;
    }
    const sorted = Float64Array.from(served).sort();
    const pct = (x: number) => (n === 0 ? 0 : (100 * x) / n);
    const throttled = n - served.length;
    return {
      policy,
      requests: n,
      fates,
      badByFate,
      servedReservedPct: pct(reservedServed),
      warmPct: pct(warm),
      coldPct: pct(cold),
      capacityWaitPct: pct(capWait),
      queuedPct: pct(queued),
      throttledPct: pct(throttled),
      redirectedPct: pct(fates.redirected),
      latePct: pct(late),
      rejectedOrLatePct: pct(throttled + late),
      p50AddedMs: quantile(sorted, 0.5),
      p99AddedMs: quantile(sorted, 0.99),
      meanAddedMs: served.length === 0 ? 0 : sum / served.length,
      maxAddedMs: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
      heldGbHours,
      reservedGbHours,
    };
  }

  private grow(): void {
    const cap = this.added.length * 2;
    const a = new Float32Array(cap);
    a.set(this.added);
    this.added = a;
    const f = new Uint8Array(cap);
    f.set(this.fate);
    this.fate = f;
    const g = new Uint8Array(cap);
    g.set(this.flags);
    this.flags = g;
  }
}
