/**
 * Envoy's adaptive concurrency filter, gradient controller
 * (source/extensions/filters/http/adaptive_concurrency/controller/gradient_controller.cc), as a
 * model on simulated time. One controller per Envoy process guards the whole upstream cluster:
 *
 *  - forwarding: a request is forwarded while outstanding < limit, else blocked (503);
 *  - every `concurrencyUpdateIntervalMs` the latency samples of the window are summarized
 *    (sampleRTT = their `sampleAggregatePercentile`) and the limit becomes
 *    limit·g + sqrt(limit·g), g = clamp(minRTT·(1 + buffer) / sampleRTT, 0.5, 2), floored, clamped
 *    to [minConcurrency, maxConcurrencyLimit]; a window without samples changes nothing;
 *  - minRTT is re-measured every `minRttIntervalMs` (+ jitter): the limit is pinned to
 *    `minConcurrency` until `minRttRequestCount` samples are in (their percentile is the new minRTT),
 *    then restored; also when the limit sat at the minimum for 5 windows in a row. Samples of
 *    requests sent before the window began are ignored; the controller starts in such a window.
 *
 * Defaults are the API's (adaptive_concurrency.proto); the two fields without one take the values
 * of Envoy's documented example: concurrency_update_interval 100 ms, min_rtt interval 60 s.
 * min_concurrency_limit is left unset (the limit's floor is min_concurrency, as before it existed).
 * Envoy's latency histogram is approximate (circllhist); the percentile here is exact.
 */
import { mulberry32 } from '../random';

export interface GradientControllerConfig {
  sampleAggregatePercentile: number;
  maxConcurrencyLimit: number;
  concurrencyUpdateIntervalMs: number;
  minRttIntervalMs: number;
  minRttRequestCount: number;
  /** Percent of the interval (Envoy: jitter 15 → up to +15 %). */
  jitterPct: number;
  minConcurrency: number;
  /** Percent added to minRTT (Envoy: buffer 25). */
  bufferPct: number;
}

export const ENVOY_DEFAULTS: GradientControllerConfig = {
  sampleAggregatePercentile: 50,
  maxConcurrencyLimit: 1000,
  concurrencyUpdateIntervalMs: 100,
  minRttIntervalMs: 60_000,
  minRttRequestCount: 50,
  jitterPct: 15,
  minConcurrency: 3,
  bufferPct: 25,
};

export interface ControllerStats {
  forwarded: number;
  blocked: number;
  minRttWindows: number;
  limitSum: number;
  limitUpdates: number;
}

export class GradientController {
  readonly c: GradientControllerConfig;
  private limit: number;
  /** Limit to restore after a minRTT window; 0 when not in one. */
  private deferred = 0;
  private outstanding = 0;
  private samples: number[] = [];
  private minRttMs = 0;
  private minRttEpochMs: number;
  private consecutiveMin = 0;
  private nextResetAt: number;
  private nextMinRttAt = Infinity;
  private readonly rand: () => number;
  readonly stats: ControllerStats = {
    forwarded: 0,
    blocked: 0,
    minRttWindows: 0,
    limitSum: 0,
    limitUpdates: 0,
  };

  constructor(nowMs: number, seed: number, config: Partial<GradientControllerConfig> = {}) {
    this.c = { ...ENVOY_DEFAULTS, ...config };
    this.limit = this.c.minConcurrency;
    this.rand = mulberry32(seed);
    this.minRttEpochMs = nowMs;
    this.enterMinRttWindow(nowMs);
    this.nextResetAt = nowMs + this.c.concurrencyUpdateIntervalMs;
  }

  get concurrencyLimit(): number {
    return this.limit;
  }
  get inMinRttWindow(): boolean {
    return this.deferred > 0;
  }
  get minRtt(): number {
    return this.minRttMs;
  }

  /** Forward (true, the request counts as outstanding) or block with 503 (false). */
  forward(): boolean {
    if (this.outstanding < this.limit) {
      this.outstanding++;
      this.stats.forwarded++;
      return true;
    }
    this.stats.blocked++;
    return false;
  }

  /** A forwarded request completed: its latency (send → response) is a sample. */
  complete(sentMs: number, nowMs: number): void {
    this.outstanding--;
    if (sentMs < this.minRttEpochMs) return;
    this.samples.push(nowMs - sentMs);
    if (this.inMinRttWindow && this.samples.length >= this.c.minRttRequestCount) this.updateMinRtt(nowMs);
  }

  /** A forwarded request ended without a response (reset upstream): no latency sample. */
  cancel(): void {
    this.outstanding--;
  }

  /** The next timer (sample window reset or minRTT window start). */
  nextEventMs(): number {
    return Math.min(this.nextResetAt, this.nextMinRttAt);
  }

  /** Fires the timers due at `nowMs`. */
  fire(nowMs: number): void {
    if (this.nextMinRttAt <= nowMs) {
      this.nextMinRttAt = Infinity;
      this.enterMinRttWindow(nowMs);
    }
    if (this.nextResetAt <= nowMs) {
      // In a minRTT window the reset timer is not re-armed; updateMinRtt() arms it again.
      this.nextResetAt = Infinity;
      if (this.inMinRttWindow) return;
      this.resetSampleWindow(nowMs);
      this.nextResetAt = nowMs + this.c.concurrencyUpdateIntervalMs;
    }
  }

  private enterMinRttWindow(nowMs: number): void {
    if (this.inMinRttWindow) return;
    this.stats.minRttWindows++;
    this.deferred = this.limit;
    this.setLimit(this.c.minConcurrency, nowMs);
    this.samples = [];
    this.minRttEpochMs = nowMs;
  }

  private updateMinRtt(nowMs: number): void {
    if (this.samples.length > 0) this.minRttMs = this.summarize();
    const restore = this.deferred;
    this.deferred = 0;
    this.setLimit(restore, nowMs);
    const interval = this.c.minRttIntervalMs;
    const range = Math.ceil((interval * this.c.jitterPct) / 100);
    const jitter = range > 0 ? Math.floor(this.rand() * 4294967296) % range : 0;
    this.nextMinRttAt = nowMs + interval + jitter;
    this.nextResetAt = nowMs + this.c.concurrencyUpdateIntervalMs;
  }

  private resetSampleWindow(nowMs: number): void {
    if (this.samples.length === 0) return;
    const sampleRtt = this.summarize();
    this.setLimit(this.newLimit(sampleRtt), nowMs);
  }

  /** The configured percentile of the window's samples, which are then cleared. */
  private summarize(): number {
    const s = this.samples.sort((a, b) => a - b);
    const k = Math.min(
      s.length - 1,
      Math.max(0, Math.ceil((this.c.sampleAggregatePercentile / 100) * s.length) - 1),
    );
    const v = s[k];
    this.samples = [];
    return v;
  }

  private newLimit(sampleRtt: number): number {
    const buffered = this.minRttMs * (1 + this.c.bufferPct / 100);
    const raw = sampleRtt > 0 ? buffered / sampleRtt : 2;
    const gradient = Math.max(0.5, Math.min(2, raw));
    const limit = this.limit * gradient;
    const next = Math.floor(limit + Math.sqrt(limit));
    return Math.max(this.c.minConcurrency, Math.min(this.c.maxConcurrencyLimit, next));
  }

  private setLimit(v: number, nowMs: number): void {
    const old = this.limit;
    this.limit = v;
    this.stats.limitSum += v;
    this.stats.limitUpdates++;
    const min = this.c.minConcurrency;
    if (!this.inMinRttWindow && old === min && v === min) this.consecutiveMin++;
    else this.consecutiveMin = 0;
    // Stuck at the minimum for 5 windows: minRTT is probably wrong; measure it again now.
    if (this.consecutiveMin >= 5) this.nextMinRttAt = nowMs;
  }
}
