/**
 * Time for the whole control plane. The service, the cycle and the simulators take a Clock so the
 * same code replays a trace faster than real time on a SimClock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  sleep(ms: number): Promise<void>;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(t) };
  }
  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}

interface SimTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in time order (ties in creation order). */
export class SimClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: SimTimer[] = [];

  constructor(startMs: number) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer: SimTimer = { at: this.t + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.setTimer(ms, r));
  }
  /** Move to `targetMs`, firing due timers in order; awaits microtasks between timers so async chains run. */
  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      let next: SimTimer | undefined;
      for (const tm of this.timers) {
        if (tm.cancelled || tm.at > targetMs) continue;
        if (!next || tm.at < next.at || (tm.at === next.at && tm.seq < next.seq)) next = tm;
      }
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next && !x.cancelled);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = Math.max(this.t, targetMs);
  }
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }
}
