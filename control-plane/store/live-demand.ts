/**
 * Dense demand windows kept in memory from the usage stream, so the forecast cycle need not query
 * InfluxDB for 10^5 users every minute (InfluxDB 1.6 spends seconds of CPU per minute of 10^5
 * users; README, "Reading demand"). Seed it once at start-up from readDemandWindows(), feed it
 * every usage report (it is a UsageSink: wire it beside the store's), take snapshot() each cycle.
 *
 * Same numbers as the InfluxDB reader: all five resources are linear in what a report adds
 * (requests, each proxy's peak, bytes), so a report updates its cells in place. As in InfluxDB, a
 * report for the same proxy, interval and user replaces the earlier one (a resend is not counted
 * twice), and concurrency is the sum over proxies of each proxy's peak in the step. Both need what
 * each proxy reported, which is kept for the last few steps only: a report older than that is
 * simply added (resends of it counted again, its peak as if from another proxy: an upper bound).
 */
import { RESOURCES, type DemandWindows } from '../domain/demand';
import type { UsageReport, UsageSink, UserUsage } from '../domain/usage';
import { BW, CONC, CPU, MEM, R, REQ, proxyConcurrency } from './dense-builder';
import {
  DEFAULT_RESOURCE_PROFILE,
  deriveCpuMillicores,
  deriveMemoryMb,
  type ProfileCost,
} from './resource-profiles';

/** Steps for which each proxy's reports are kept (resends replace; peaks add up per proxy). */
const RECENT_STEPS = 3;

export interface LiveDemandOptions {
  /** Steps kept (the history length the forecaster reads). */
  steps: number;
  /** Default 60,000. */
  stepMs?: number;
  /** Costs for derived cpu and memory; users without one use DEFAULT_RESOURCE_PROFILE. */
  profiles?: ReadonlyMap<string, ProfileCost>;
}

export class LiveDemandWindows implements UsageSink {
  readonly steps: number;
  readonly stepMs: number;
  /** Reports (per user) that were older than the window and so ignored. */
  late = 0;
  private profiles: ReadonlyMap<string, ProfileCost>;
  private users: string[] = [];
  private index = new Map<string, number>();
  private ring: Float32Array;
  /** Absolute step number of the newest step held (-Infinity before any data). */
  private head = -Infinity;
  /** `${step} ${node} ${user}` → what that proxy reported per interval, and its peak counted so far. */
  private recent = new Map<string, { intervals: Map<number, UserUsage>; peak: number }>();

  constructor(o: LiveDemandOptions) {
    if (!(o.steps >= 1)) throw new Error('steps must be ≥ 1');
    this.steps = o.steps;
    this.stepMs = o.stepMs ?? 60_000;
    this.profiles = o.profiles ?? new Map();
    this.ring = new Float32Array(1024 * R * this.steps);
  }

  setProfiles(p: ReadonlyMap<string, ProfileCost>): void {
    this.profiles = p;
  }

  /** Loads history (e.g. readDemandWindows at start-up); its step must match. */
  seed(w: DemandWindows): void {
    if (w.stepMs !== this.stepMs) throw new Error(`seed step ${w.stepMs} ms ≠ ${this.stepMs} ms`);
    const first = Math.floor(w.startMs / this.stepMs);
    if (first + w.steps - 1 > this.head) this.advance(first + w.steps - 1);
    for (let u = 0; u < w.users.length; u++) {
      const row = this.row(w.users[u]);
      for (let r = 0; r < R; r++) {
        for (let t = 0; t < w.steps; t++) {
          const s = first + t;
          if (s > this.head - this.steps)
            this.ring[row + r * this.steps + (s % this.steps)] += w.values[(u * R + r) * w.steps + t];
        }
      }
    }
  }

  writeUsage(report: UsageReport): void {
    const s = Math.floor(report.intervalStartMs / this.stepMs);
    if (s > this.head) this.advance(s);
    const slot = s % this.steps;
    for (const u of report.users) {
      if (s <= this.head - this.steps) {
        this.late++;
        continue;
      }
      const p = this.profiles.get(u.user) ?? DEFAULT_RESOURCE_PROFILE;
      let requests = u.requests;
      let bytes = u.bytesIn + u.bytesOut;
      let dConc = proxyConcurrency(u.peakInFlight, u.requests, u.redirected + u.throttled, p, this.stepMs);
      if (s > this.head - RECENT_STEPS) {
        const key = `${s} ${report.nodeId} ${u.user}`;
        const seen = this.recent.get(key) ?? { intervals: new Map<number, UserUsage>(), peak: 0 };
        this.recent.set(key, seen);
        const prev = seen.intervals.get(report.intervalStartMs);
        if (prev) {
          requests -= prev.requests;
          bytes -= prev.bytesIn + prev.bytesOut;
        }
        seen.intervals.set(report.intervalStartMs, u);
        let peak = 0;
        let over = 0;
        let all = 0;
        for (const x of seen.intervals.values()) {
          peak = Math.max(peak, x.peakInFlight);
          over += x.redirected + x.throttled;
          all += x.requests;
        }
        // What this proxy's step counts as concurrency, as the InfluxDB reader would (dense-builder.ts).
        const conc = proxyConcurrency(peak, all, over, p, this.stepMs);
        dConc = conc - seen.peak;
        seen.peak = conc;
      }
      const row = this.row(u.user) + slot;
      const v = this.ring;
      v[row + REQ * this.steps] += requests;
      v[row + CONC * this.steps] += dConc;
      v[row + CPU * this.steps] += deriveCpuMillicores(requests, p, this.stepMs);
      v[row + MEM * this.steps] += deriveMemoryMb(dConc, p);
      v[row + BW * this.steps] += (bytes * 8) / this.stepMs;
    }
  }

  /**
   * The `steps` steps ending with the one that contains endMs - 1 (endMs exclusive), users in the
   * order first seen (stable across snapshots). Moves the window forward; idle steps are zeros.
   */
  snapshot(endMs: number): DemandWindows {
    const last = Math.ceil(endMs / this.stepMs) - 1;
    if (last > this.head) this.advance(last);
    const steps = this.steps;
    const first = last - steps + 1;
    const values = new Float32Array(this.users.length * R * steps);
    for (let u = 0; u < this.users.length; u++) {
      for (let r = 0; r < R; r++) {
        const src = (u * R + r) * steps;
        for (let t = 0; t < steps; t++) {
          const s = first + t;
          if (s > this.head - steps && s <= this.head) values[src + t] = this.ring[src + (s % steps)];
        }
      }
    }
    return {
      users: [...this.users],
      resources: RESOURCES,
      startMs: first * this.stepMs,
      stepMs: this.stepMs,
      steps,
      values,
    };
  }

  /** Makes `s` the newest step: clears the slots of the steps that enter, forgets old reports. */
  private advance(s: number): void {
    const from = Number.isFinite(this.head)
      ? Math.max(this.head + 1, s - this.steps + 1)
      : s - this.steps + 1;
    for (let step = from; step <= s; step++) {
      const slot = step % this.steps;
      for (let base = 0; base < this.users.length * R * this.steps; base += this.steps)
        this.ring[base + slot] = 0;
    }
    this.head = s;
    for (const k of this.recent.keys())
      if (Number(k.slice(0, k.indexOf(' '))) <= s - RECENT_STEPS) this.recent.delete(k);
  }

  /** Offset of the user's row block (growing the array for a new user). */
  private row(user: string): number {
    let u = this.index.get(user);
    if (u === undefined) {
      u = this.users.push(user) - 1;
      this.index.set(user, u);
      const need = (u + 1) * R * this.steps;
      if (need > this.ring.length) {
        const grown = new Float32Array(Math.max(need, this.ring.length * 2));
        grown.set(this.ring);
        this.ring = grown;
      }
    }
    return u * R * this.steps;
  }
}
