// Time for the emulated process. 'virtual': time stands still until advance() moves it, and timers
// fire in due order as it passes them (tests). 'real': Date/performance time and setTimeout (demo).
// proxy_get_current_time_nanoseconds and wasi clock_time_get(REALTIME) read now; MONOTONIC reads
// a monotonic counter (envoy context.cc getCurrentTimeNanoseconds / getMonotonicTimeNanoseconds).

export interface TimerHandle {
  cancel(): void;
}

interface VirtualTimer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export const DEFAULT_START = Date.UTC(2024, 0, 1);

/** Exact ms → ns: whole ms in BigInt, the fraction rounded (ms * 1e6 as a double loses ~256 ns). */
export const msToNs = (ms: number): bigint => {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
};

/**
 * The same exact ms → ns as two u32 words, without BigInt (no allocation per time call):
 * ns = whole·1e6 + frac split so that every intermediate stays an exact double (< 2^53).
 * Writes [low, high] into out.
 */
export const msToNsWords = (ms: number, out: Uint32Array): void => {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6);
  const wh = Math.floor(whole / 65536); // whole = wh·2^16 + wl
  const x = wh * 1e6; // < 2^45 for any epoch ms below 2^53 / 1e6 · 2^16
  const xHi = Math.floor(x / 65536);
  const t = (x - xHi * 65536) * 65536 + (whole - wh * 65536) * 1e6 + frac; // < 2^37
  const carry = Math.floor(t / 4294967296);
  out[0] = t - carry * 4294967296;
  out[1] = xHi + carry;
};

export class HostClock {
  private virtualMs: number;
  private virtualNs: bigint;
  private readonly startMs: number;
  private readonly timers: VirtualTimer[] = [];
  private seq = 0;
  private readonly realHandles = new Set<NodeJS.Timeout>();

  constructor(
    readonly mode: 'virtual' | 'real',
    startTime = DEFAULT_START,
  ) {
    this.startMs = startTime;
    this.virtualMs = startTime;
    this.virtualNs = msToNs(startTime);
  }

  /** Wall time, epoch ms. */
  now(): number {
    return this.mode === 'virtual' ? this.virtualMs : performance.timeOrigin + performance.now();
  }

  /** Wall time, epoch ns (cached in virtual mode: no allocation per call). */
  nowNs(): bigint {
    if (this.mode === 'virtual') return this.virtualNs;
    return msToNs(performance.timeOrigin + performance.now());
  }

  /** nowNs() as [low, high] u32 words in `out` (no BigInt: the per-call path of time host calls). */
  nowNsWords(out: Uint32Array): void {
    msToNsWords(this.now(), out);
  }

  /** monotonicNs() as [low, high] u32 words in `out`. */
  monotonicNsWords(out: Uint32Array): void {
    msToNsWords(this.mode === 'virtual' ? this.virtualMs - this.startMs : performance.now(), out);
  }

  /** Monotonic ns since the process started. */
  monotonicNs(): bigint {
    if (this.mode === 'virtual') return msToNs(this.virtualMs - this.startMs);
    return msToNs(performance.now());
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    if (this.mode === 'real') {
      const h = setTimeout(() => {
        this.realHandles.delete(h);
        fn();
      }, delayMs);
      this.realHandles.add(h);
      return { cancel: () => (clearTimeout(h), this.realHandles.delete(h)) };
    }
    const t: VirtualTimer = { due: this.virtualMs + delayMs, seq: this.seq++, fn, cancelled: false };
    let i = this.timers.length;
    while (
      i > 0 &&
      (this.timers[i - 1].due > t.due || (this.timers[i - 1].due === t.due && this.timers[i - 1].seq > t.seq))
    )
      i--;
    this.timers.splice(i, 0, t);
    return { cancel: () => void (t.cancelled = true) };
  }

  private setVirtual(ms: number): void {
    this.virtualMs = ms;
    this.virtualNs = msToNs(ms);
  }

  /** Virtual mode: move time forward, firing due timers in order; afterEach runs after each timer. */
  advance(ms: number, afterEach: () => void): number {
    if (this.mode !== 'virtual') throw new Error('advance() needs the virtual clock');
    if (!(ms >= 0)) throw new Error(`advance(${ms}): ms must be >= 0`);
    const target = this.virtualMs + ms;
    let fired = 0;
    while (this.timers.length > 0 && this.timers[0].due <= target) {
      const t = this.timers.shift()!;
      if (t.cancelled) continue;
      this.setVirtual(t.due);
      fired++;
      t.fn();
      afterEach();
    }
    this.setVirtual(target);
    return fired;
  }

  /** Timers still armed (virtual mode). */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  close(): void {
    for (const h of this.realHandles) clearTimeout(h);
    this.realHandles.clear();
    this.timers.length = 0;
  }
}
