/**
 * The resource every policy is charged for: memory held for users (a sandbox holds its user's
 * memory from the moment it starts warming until it is released, busy or idle), integrated over
 * time inside an accounting window, split by why it was held (a reservation, or keep-alive /
 * on-demand), and binned per minute for plots.
 */
export interface AccountingWindow {
  fromMs: number;
  toMs: number;
}

const MB_MS_PER_GB_HOUR = 1024 * 3_600_000;

export class HeldMemory {
  /** MB·ms held under a reservation, and outside one (keep-alive, on-demand, busy after a reservation ended). */
  reservedMbMs = 0;
  keptMbMs = 0;
  /** MB·ms per bin of `binMs`, from window.fromMs. */
  readonly bins: Float64Array;
  /** MB·ms per user. */
  readonly byUser: Float64Array;

  constructor(
    readonly window: AccountingWindow,
    users: number,
    readonly binMs = 60_000,
  ) {
    if (!(window.toMs > window.fromMs)) throw new Error('accounting window must not be empty');
    this.bins = new Float64Array(Math.ceil((window.toMs - window.fromMs) / binMs));
    this.byUser = new Float64Array(users);
  }

  /** `mb` held for `user` from `fromMs` to `toMs` (clipped to the window). */
  add(user: number, mb: number, fromMs: number, toMs: number, reserved: boolean): void {
    const a = Math.max(fromMs, this.window.fromMs);
    const b = Math.min(toMs, this.window.toMs);
    if (!(b > a) || mb <= 0) return;
    if (reserved) this.reservedMbMs += mb * (b - a);
    else this.keptMbMs += mb * (b - a);
    this.byUser[user] += mb * (b - a);
    const { binMs } = this;
    const w0 = this.window.fromMs;
    for (let k = Math.floor((a - w0) / binMs); k < this.bins.length; k++) {
      const s = Math.max(a, w0 + k * binMs);
      const e = Math.min(b, w0 + (k + 1) * binMs);
      if (e <= s) break;
      this.bins[k] += mb * (e - s);
    }
  }

  /** Memory GB-hours held in the window (reserved + kept). */
  gbHours(): number {
    return (this.reservedMbMs + this.keptMbMs) / MB_MS_PER_GB_HOUR;
  }

  reservedGbHours(): number {
    return this.reservedMbMs / MB_MS_PER_GB_HOUR;
  }

  /** GB-hours held for each user. */
  gbHoursByUser(): number[] {
    return Array.from(this.byUser, (v) => v / MB_MS_PER_GB_HOUR);
  }

  /** Mean GB held in each bin. */
  meanGbPerBin(): number[] {
    return Array.from(this.bins, (v) => v / this.binMs / 1024);
  }
}
