/**
 * The hybrid histogram policy of Shahrad et al., "Serverless in the Wild" (ATC 2020), per function:
 * a histogram of idle times (whole quiet minutes between two active minutes) learned online, and
 * from it when to pre-warm a sandbox after an active minute and how long to hold it. Where the
 * histogram is not representative (too few idle times, a flat histogram, or most idle times beyond
 * its range) the policy falls back to a fixed keep-alive.
 */

export interface HistogramPolicyConfig {
  /** Histogram range, minutes (one-minute bins); longer idle times are out of bounds. */
  rangeMinutes: number;
  /** Percentile of idle times the pre-warm window is taken from (the head). */
  headPct: number;
  /** Percentile of idle times the keep-alive window reaches (the tail). */
  tailPct: number;
  /** Head lowered and tail raised by this share (the paper's 10 % margin). */
  margin: number;
  /** Fewer idle times than this: not representative. */
  minSamples: number;
  /** Coefficient of variation of the bin counts at least this: representative (a clear peak). */
  minCv: number;
  /** Out-of-bounds idle times above this share: not representative. */
  maxOobShare: number;
  /** A hold lasts at most this many minutes (Infinity: the paper, up to the histogram's range). */
  maxHoldMin: number;
  /**
   * Hold a histogram window only if the function's past windows were hit at least this often per
   * GB-hour a window holds (hits / (GB × hours of the window)); else the fallback. 0: always.
   */
  minHitsPerGbHour: number;
  /** The fallback: hold this many minutes after an active minute, no pre-warm. */
  fallbackKeepAliveMin: number;
  /**
   * Sandboxes held while holding on after activity: the peak in flight over the last this-many
   * minutes (so it decays as a per-sandbox keep-alive does), at least 1.
   */
  sizingWindowMin: number;
  /** Sandboxes pre-warmed: a quantile of the peaks of the function's last few restart minutes. */
  restartSamples: number;
  /** 1: the largest of those peaks; 0.5: their median (nearest rank). */
  restartQuantile: number;
  /** Platform keep-alive of sandboxes the policy does not hold (requests beyond its sizing). */
  poolKeepAliveMs: number;
}

/**
 * The paper's windows (4 h range, 5th/99th percentiles, 10 % margin, CV ≥ 2), a 10-minute fallback
 * (the keep-alive baseline's, not the paper's 4 h), and windows held only where they were hit at
 * least 10 times per GB-hour: chosen on the tuning hours (from 60 and 1260) as the variant with the
 * fewest rejected-or-late requests while holding no more than keep-alive (bench/e2e/README.md).
 * minHitsPerGbHour: 0 is the paper's policy with this sizing.
 */
export const HISTOGRAM_DEFAULTS: HistogramPolicyConfig = {
  rangeMinutes: 240,
  headPct: 5,
  tailPct: 99,
  margin: 0.1,
  minSamples: 5,
  minCv: 2,
  maxOobShare: 0.5,
  maxHoldMin: Infinity,
  minHitsPerGbHour: 10,
  fallbackKeepAliveMin: 10,
  sizingWindowMin: 10,
  restartSamples: 3,
  restartQuantile: 1,
  poolKeepAliveMs: 60_000,
};

export interface HoldWindow {
  representative: boolean;
  /** Quiet minutes after the active minute before the sandbox is needed again (0: hold at once). */
  prewarmMin: number;
  /** The hold ends this many minutes after the active minute ends. */
  untilMin: number;
}

export class IdleHistogram {
  readonly bins: Uint32Array;
  inRange = 0;
  outOfBounds = 0;

  constructor(readonly rangeMinutes: number) {
    this.bins = new Uint32Array(rangeMinutes);
  }

  /** One idle time: whole quiet minutes between two active minutes (0 = back to back). */
  add(idleMin: number): void {
    if (idleMin >= this.rangeMinutes) this.outOfBounds++;
    else {
      this.bins[Math.max(0, Math.floor(idleMin))]++;
      this.inRange++;
    }
  }

  get samples(): number {
    return this.inRange + this.outOfBounds;
  }

  /** Smallest bin whose cumulative count reaches pct % of the in-range idle times. */
  percentile(pct: number): number {
    const want = (pct / 100) * this.inRange;
    let acc = 0;
    for (let b = 0; b < this.bins.length; b++) {
      acc += this.bins[b];
      if (acc >= want && acc > 0) return b;
    }
    return this.bins.length - 1;
  }

  /** Coefficient of variation of the bin counts: high for a few sharp peaks, low for a flat spread. */
  cv(): number {
    const n = this.bins.length;
    const mean = this.inRange / n;
    if (mean === 0) return 0;
    let ss = 0;
    for (let b = 0; b < n; b++) ss += (this.bins[b] - mean) ** 2;
    return Math.sqrt(ss / n) / mean;
  }

  /** The windows after an active minute, from the idle times seen so far. */
  window(c: HistogramPolicyConfig): HoldWindow {
    const representative =
      this.samples >= c.minSamples &&
      this.outOfBounds <= c.maxOobShare * this.samples &&
      this.inRange > 0 &&
      this.cv() >= c.minCv;
    if (!representative) return { representative, prewarmMin: 0, untilMin: c.fallbackKeepAliveMin };
    const head = Math.floor(this.percentile(c.headPct) * (1 - c.margin));
    const tail = Math.min(this.rangeMinutes, Math.ceil(this.percentile(c.tailPct) * (1 + c.margin)));
    // The next active minute is idle + 1 minutes after this one ends; hold through its end.
    return { representative, prewarmMin: head, untilMin: Math.min(tail + 1, head + c.maxHoldMin) };
  }
}
