/**
 * The project's own synthetic workload: diurnal, bursty and sparse users, deterministic for a seed.
 * It feeds the `npm start` demo and the tests that must not depend on ../shared/traces.
 *
 * Every figure is a pure function of (seed, user, minute), so any minute can be asked for in any
 * order and two runs with the same seed see exactly the same requests.
 */
import { hashUnit, mulberry32, poisson } from '../random';

export type UserKind = 'diurnal' | 'bursty' | 'sparse';

export interface SyntheticUser {
  id: string;
  index: number;
  kind: UserKind;
  tier: string;
  /** Mean requests per minute outside bursts (diurnal: the daily mean). */
  baseRpm: number;
  /** Diurnal: minute of the day at which the daily peak falls. */
  peakMinuteOfDay: number;
  /** Bursty: a burst starts every `burstEveryMin` minutes, at `burstOffsetMin` past the period. */
  burstEveryMin: number;
  burstOffsetMin: number;
  burstLengthMin: number;
  burstMultiplier: number;
  /** Sparse: probability that a given minute has any traffic. */
  activeProbability: number;
  /** Mean service time of one request (ms), for concurrency and instance simulation. */
  serviceMs: number;
  /** Memory held while active (MB). */
  memoryMb: number;
}

export interface WorkloadOptions {
  seed: number;
  users: number;
  /** Shares of each kind; normalised. Default 0.4 diurnal, 0.2 bursty, 0.4 sparse. */
  mix?: Partial<Record<UserKind, number>>;
  /** Epoch ms of minute 0 (aligned down to the minute). */
  startMs: number;
  /** Tier assignment by share, e.g. { gold: 0.1, silver: 0.3, free: 0.6 }. */
  tiers?: Record<string, number>;
}

const MINUTE = 60_000;
const DAY_MIN = 24 * 60;
const DEFAULT_MIX: Record<UserKind, number> = { diurnal: 0.4, bursty: 0.2, sparse: 0.4 };
const DEFAULT_TIERS: Record<string, number> = { gold: 0.1, silver: 0.3, free: 0.6 };

function pickByShare<T extends string>(shares: Record<T, number>, u: number): T {
  const keys = Object.keys(shares) as T[];
  const total = keys.reduce((s, k) => s + Math.max(0, shares[k]), 0);
  let acc = 0;
  for (const k of keys) {
    acc += Math.max(0, shares[k]) / total;
    if (u < acc) return k;
  }
  return keys[keys.length - 1];
}

export class SyntheticWorkload {
  readonly users: SyntheticUser[];
  readonly startMs: number;
  readonly seed: number;

  constructor(opts: WorkloadOptions) {
    if (!Number.isInteger(opts.users) || opts.users < 1) throw new Error(`users must be a positive integer`);
    this.seed = opts.seed >>> 0;
    this.startMs = Math.floor(opts.startMs / MINUTE) * MINUTE;
    const mix = { ...DEFAULT_MIX, ...(opts.mix ?? {}) };
    const tiers = opts.tiers ?? DEFAULT_TIERS;
    const rand = mulberry32(this.seed ^ 0x5eed);
    this.users = [];
    for (let i = 0; i < opts.users; i++) {
      const kind = pickByShare(mix, rand());
      const tier = pickByShare(tiers, rand());
      const digits = String(opts.users).length;
      this.users.push({
        id: `${kind}-${String(i).padStart(Math.max(4, digits), '0')}`,
        index: i,
        kind,
        tier,
        baseRpm: kind === 'sparse' ? 1 + rand() * 2 : kind === 'bursty' ? 2 + rand() * 8 : 5 + rand() * 60,
        peakMinuteOfDay: Math.floor(rand() * DAY_MIN),
        // Bursts recur on a fixed period (cron-like jobs, as many Azure Functions are timer-triggered),
        // which is what makes them foreseeable.
        burstEveryMin: [30, 60, 60, 120][Math.floor(rand() * 4)],
        burstOffsetMin: Math.floor(rand() * 30),
        burstLengthMin: 3 + Math.floor(rand() * 8),
        burstMultiplier: 6 + rand() * 14,
        activeProbability: 0.02 + rand() * 0.15,
        serviceMs: Math.round(20 + rand() * 400),
        memoryMb: [128, 256, 512, 1024][Math.floor(rand() * 4)],
      });
    }
  }

  /** Minute index of an epoch-ms time. */
  minuteOf(ms: number): number {
    return Math.floor((ms - this.startMs) / MINUTE);
  }

  /** Expected requests per minute for user `u` at minute `m` (no sampling noise). */
  rate(u: number, m: number): number {
    const user = this.users[u];
    switch (user.kind) {
      case 'diurnal': {
        const phase = (2 * Math.PI * (m - user.peakMinuteOfDay)) / DAY_MIN;
        return user.baseRpm * (1 + 0.8 * Math.cos(phase));
      }
      case 'bursty': {
        const pos =
          (((m - user.burstOffsetMin) % user.burstEveryMin) + user.burstEveryMin) % user.burstEveryMin;
        return pos < user.burstLengthMin ? user.baseRpm * user.burstMultiplier : user.baseRpm * 0.2;
      }
      case 'sparse':
        // Active minutes are random but their rate is steady; the expectation is the blend.
        return user.activeProbability * user.baseRpm;
    }
  }

  /** Sampled request count for user `u` at minute `m`. */
  count(u: number, m: number): number {
    const user = this.users[u];
    const rand = mulberry32(Math.floor(hashUnit(this.seed, u, m) * 4294967296));
    if (user.kind === 'sparse') {
      if (rand() >= user.activeProbability) return 0;
      return 1 + poisson(user.baseRpm - 1, rand);
    }
    return poisson(this.rate(u, m), rand);
  }

  /**
   * Every request in minute `m`, as arrival offsets within the minute (ms) and user indexes,
   * sorted by time. Arrivals are spread uniformly inside the minute.
   */
  arrivals(m: number): { offsetMs: Float64Array; user: Uint32Array } {
    const counts: number[] = [];
    let total = 0;
    for (let u = 0; u < this.users.length; u++) {
      const c = this.count(u, m);
      counts.push(c);
      total += c;
    }
    const offsets = new Float64Array(total);
    const users = new Uint32Array(total);
    let k = 0;
    for (let u = 0; u < this.users.length; u++) {
      const rand = mulberry32(Math.floor(hashUnit(this.seed ^ 0xa11, u, m) * 4294967296));
      for (let i = 0; i < counts[u]; i++) {
        offsets[k] = rand() * MINUTE;
        users[k++] = u;
      }
    }
    const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => offsets[a] - offsets[b]);
    return {
      offsetMs: Float64Array.from(order, (i) => offsets[i]),
      user: Uint32Array.from(order, (i) => users[i]),
    };
  }
}
