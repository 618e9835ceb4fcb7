/**
 * Whether InfluxDB answers, learned from /ping under a short deadline. An InfluxDB that accepts
 * connections but never answers (overloaded, paused, a half-open path) made /readyz wait for the
 * 2 s ping, past the kubelet's probe timeout, and every store read wait its 30 s request timeout
 * before a 503. With this, readiness answers within pingBudgetMs, a read already waiting gives up
 * with a 503 once a ping fails, and later reads get their 503 at once until a ping answers again.
 */
import { DependencyUnavailableError } from '../port';

/** Default ping deadline: /ping is trivial for InfluxDB, and readiness must beat the probe timeout. */
export const PING_BUDGET_MS = 500;

export interface StoreHealthOptions {
  /** InfluxDB's /ping: true when it answered 204. */
  ping: () => Promise<boolean>;
  url: string;
  /** Longest wait for a ping before the store counts as not answering. */
  pingBudgetMs?: number;
  /** A read still waiting after this long pings the store, and again each time this passes. */
  watchMs?: number;
  /** How long a failed ping is believed before the next read pings again. */
  recheckMs?: number;
}

/** `p`, or `fallback` if p has not settled within ms (p keeps running; its outcome is dropped). */
export function within<T>(ms: number, p: Promise<T>, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class StoreHealth {
  readonly pingBudgetMs: number;
  private readonly watchMs: number;
  private readonly recheckMs: number;
  /** Result and wall time (performance.now) of the last ping; undefined before the first. */
  private last: { ok: boolean; at: number } | undefined;
  private pending: Promise<boolean> | undefined;

  constructor(private readonly o: StoreHealthOptions) {
    this.pingBudgetMs = o.pingBudgetMs ?? PING_BUDGET_MS;
    this.watchMs = o.watchMs ?? 1000;
    this.recheckMs = o.recheckMs ?? 1000;
  }

  /** Pings now (one ping at a time, shared by all callers); false if it fails or is late. */
  check(): Promise<boolean> {
    this.pending ??= within(
      this.pingBudgetMs,
      this.o.ping().catch(() => false),
      () => false,
    )
      .then((ok) => {
        this.last = { ok, at: performance.now() };
        return ok;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  get detail(): string {
    return `InfluxDB at ${this.o.url} does not answer /ping within ${this.pingBudgetMs} ms`;
  }

  /**
   * Runs a store read. While the store is known not to answer it fails at once (or after one
   * ping, when the last is older than recheckMs); a read left waiting is abandoned when a ping
   * made every watchMs fails. A slow read of a store that still answers /ping keeps waiting.
   */
  async read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const unavailable = () => new DependencyUnavailableError('store', `${what}: ${this.detail}`);
    if (this.last && !this.last.ok) {
      const ok = performance.now() - this.last.at < this.recheckMs ? false : await this.check();
      if (!ok) throw unavailable();
    }
    return new Promise<T>((resolve, reject) => {
      const watch = setInterval(() => {
        void this.check().then((ok) => {
          if (ok) return;
          clearInterval(watch);
          reject(unavailable());
        });
      }, this.watchMs);
      fn()
        .then(resolve, reject)
        .finally(() => clearInterval(watch));
    });
  }
}
