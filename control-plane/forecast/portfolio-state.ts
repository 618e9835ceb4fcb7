/**
 * Everything the engine remembers between cycles, per user and per series, in flat typed arrays:
 * each model's decayed costs per user, the models in use, calibration factors, and the forecasts
 * issued `lead` steps ago that the newest observation now scores. Users get a slot on first sight
 * and lose it after `forgetAfter` cycles unseen.
 */
export class PortfolioState {
  private slotOf = new Map<string, number>();
  private freeSlots: number[] = [];
  private nextSlot = 0;
  capacity = 0;

  /** Per user and model: decayed cost of the median (point) and of the reservation quantile. */
  costMedian = new Float64Array(0);
  costReserve = new Float64Array(0);
  /** Per user and model: decayed count of scorings; costs compare as cost / evidence. */
  evidence = new Float64Array(0);
  /** Per user: the model giving the median, and the one giving the reservation quantiles. */
  medianModel = new Uint16Array(0);
  reserveModel = new Uint16Array(0);
  lastSeen = new Float64Array(0);
  /** Per series and model: calibration factor of the model's reservation quantile. */
  k = new Float32Array(0);
  /** Per series and output quantile: calibration factor of the issued forecast. */
  kf = new Float32Array(0);
  /** Per ring slot: candidate medians and calibrated reservation quantiles (series × model). */
  ringMed: Float32Array[] = [];
  ringQ: Float32Array[] = [];
  /**
   * Per ring slot and user slot: bit m set when model m's candidates were stored for the user
   * (ringMed/ringQ hold stale values elsewhere): scoring reads only the few models that ran.
   */
  ringMask: Uint32Array[] = [];
  /** Per ring slot: issued final quantiles at the scoring lead (series × quantile). */
  ringFinal: Float32Array[] = [];
  /** Per user: the step after the newest value seen (NaN = new); per series: the last active step (NaN = none seen). */
  seenUpTo = new Float64Array(0);
  lastActive = new Float64Array(0);
  /** Origin step of each ring slot (NaN = empty). */
  ringOrigin: number[];

  constructor(
    readonly models: number,
    readonly resources: number,
    readonly quantiles: number,
    readonly lead: number,
    readonly forgetAfter: number,
  ) {
    if (models > 32) throw new Error(`the forecast engine takes at most 32 candidate models, got ${models}`);
    this.ringOrigin = new Array(lead).fill(NaN);
  }

  /** Slot of each user, allocating new ones; frees users unseen for `forgetAfter` cycles. */
  slotsFor(users: string[], cycle: number): Int32Array {
    const out = new Int32Array(users.length);
    for (let u = 0; u < users.length; u++) {
      let s = this.slotOf.get(users[u]);
      if (s === undefined) {
        s = this.freeSlots.pop() ?? this.nextSlot++;
        if (s >= this.capacity) this.grow(Math.max(1024, s + 1, this.capacity * 2));
        this.reset(s);
        this.slotOf.set(users[u], s);
      }
      this.lastSeen[s] = cycle;
      out[u] = s;
    }
    if (this.slotOf.size > users.length)
      for (const [user, s] of this.slotOf)
        if (cycle - this.lastSeen[s] > this.forgetAfter) {
          this.slotOf.delete(user);
          this.freeSlots.push(s);
        }
    return out;
  }

  get users(): number {
    return this.slotOf.size;
  }

  private reset(slot: number): void {
    const { models: M, resources: R, quantiles: Q } = this;
    this.costMedian.fill(0, slot * M, (slot + 1) * M);
    this.costReserve.fill(0, slot * M, (slot + 1) * M);
    this.evidence.fill(0, slot * M, (slot + 1) * M);
    this.medianModel[slot] = 0xffff;
    this.reserveModel[slot] = 0xffff;
    this.k.fill(1, slot * R * M, (slot + 1) * R * M);
    this.kf.fill(1, slot * R * Q, (slot + 1) * R * Q);
    this.seenUpTo[slot] = NaN;
    this.lastActive.fill(NaN, slot * R, (slot + 1) * R);
    for (const r of this.ringMask) r[slot] = 0;
    for (const r of this.ringFinal) r.fill(NaN, slot * R * Q, (slot + 1) * R * Q);
  }

  private grow(cap: number): void {
    const { models: M, resources: R, quantiles: Q } = this;
    const g64 = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const g32 = (a: Float32Array, n: number, fill: number) => {
      const b = new Float32Array(n).fill(fill);
      b.set(a);
      return b;
    };
    const g16 = (a: Uint16Array) => {
      const b = new Uint16Array(cap).fill(0xffff);
      b.set(a);
      return b;
    };
    this.costMedian = g64(this.costMedian, cap * M);
    this.costReserve = g64(this.costReserve, cap * M);
    this.evidence = g64(this.evidence, cap * M);
    this.lastSeen = g64(this.lastSeen, cap);
    this.seenUpTo = g64(this.seenUpTo, cap);
    this.lastActive = g64(this.lastActive, cap * R);
    this.medianModel = g16(this.medianModel);
    this.reserveModel = g16(this.reserveModel);
    this.k = g32(this.k, cap * R * M, 1);
    this.kf = g32(this.kf, cap * R * Q, 1);
    const ring = (old: Float32Array[], width: number) =>
      Array.from({ length: this.lead }, (_, i) => g32(old[i] ?? new Float32Array(0), cap * R * width, NaN));
    this.ringMed = ring(this.ringMed, M);
    this.ringQ = ring(this.ringQ, M);
    this.ringFinal = ring(this.ringFinal, Q);
    this.ringMask = Array.from({ length: this.lead }, (_, i) => {
      const b = new Uint32Array(cap);
      b.set(this.ringMask[i] ?? new Uint32Array(0));
      return b;
    });
    this.capacity = cap;
  }
}
