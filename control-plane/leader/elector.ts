/**
 * Leader election on a Kubernetes Lease, with client-go's rules (tools/leaderelection), so that an
 * Earmark replica and any operator tooling read the Lease the same way:
 *
 * - A candidate reads the Lease every retry period. It takes it when it does not exist (create),
 *   when nobody holds it (holderIdentity empty: released), or when the holder has not renewed it
 *   for leaseDurationSeconds — measured on the candidate's own monotonic clock from the moment it
 *   last saw the record change, never by comparing its wall clock with the holder's renewTime, so
 *   clock skew between nodes cannot hand the lease over early.
 * - Writes are replaces with the resourceVersion read: of two candidates, one gets 409 and waits.
 * - The leader renews every retry period. If it has not renewed for renewDeadline (< lease
 *   duration), or it reads the Lease held by someone else, it has lost: it must stop acting at
 *   once. renewDeadline < leaseDuration leaves the gap in which the old leader stops before any
 *   other may start.
 * - On a clean stop the leader releases the Lease (holder empty, duration 1 s) so that a standby
 *   takes over at its next retry instead of after a whole lease duration.
 */
import type { Logger } from '../api/logger';
import { LeaseApiError, microTime, type LeaseRecord, type StoredLease } from './lease-api';
import type { LeaderMetrics } from './metrics';

/** What the elector needs of the API (LeaseApi; tests may wrap it). */
export interface LeaseStore {
  readonly lease: string;
  get(signal?: AbortSignal): Promise<StoredLease | undefined>;
  create(record: LeaseRecord, signal?: AbortSignal): Promise<StoredLease>;
  replace(read: StoredLease, record: LeaseRecord, signal?: AbortSignal): Promise<StoredLease>;
}

export interface ElectorOptions {
  store: LeaseStore;
  /** This replica's name in the Lease (the pod name). */
  identity: string;
  /** How long a lease lasts without renewal (client-go default 15 s); written in whole seconds. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up (default 2/3 of the duration). */
  renewDeadlineMs?: number;
  /** Time between attempts (default 2/15 of the duration: client-go's 15 s / 10 s / 2 s). */
  retryPeriodMs?: number;
  logger?: Logger;
  metrics?: LeaderMetrics;
  /** Monotonic ms (default performance.now). */
  now?: () => number;
  /** Epoch ms for the Lease's times (default Date.now). */
  wallNow?: () => number;
  /** Random in [0, 1) for the candidates' retry jitter (default Math.random). */
  random?: () => number;
}

/**
 * The lease duration as written (whole seconds) and client-go's default periods derived from it:
 * renew deadline 2/3 of the duration, retry period 2/15 (15 s / 10 s / 2 s).
 */
export function electionPeriods(leaseDurationMs: number) {
  const leaseSeconds = Math.max(1, Math.round(leaseDurationMs / 1000));
  const leaseMs = leaseSeconds * 1000;
  return {
    leaseSeconds,
    renewDeadlineMs: Math.round((leaseMs * 2) / 3),
    retryPeriodMs: Math.max(1, Math.round((leaseMs * 2) / 15)),
  };
}

const sameRecord = (a: LeaseRecord | undefined, b: LeaseRecord): boolean =>
  a !== undefined &&
  a.holderIdentity === b.holderIdentity &&
  a.leaseDurationSeconds === b.leaseDurationSeconds &&
  a.acquireTime === b.acquireTime &&
  a.renewTime === b.renewTime &&
  a.leaseTransitions === b.leaseTransitions;

export class LeaderElector {
  /** The lease duration as written (whole seconds), and the periods derived from it. */
  readonly leaseSeconds: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly random: () => number;
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  /** When the last successful attempt started: renewals count from there, not from the answer. */
  private renewedAt = -Infinity;
  /** When the API server last answered a read (for a standby's readiness). */
  private contactAt = -Infinity;
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private inflight: Promise<boolean> | undefined;
  private abort: AbortController | undefined;
  private lastError = '';
  /** Whether a write of this replica's ever made it the holder. */
  private won = false;
  private resolveLost!: (reason: string) => void;
  /** Resolves with the reason once this replica, having led, is no longer the leader. */
  readonly lost: Promise<string>;

  constructor(private readonly o: ElectorOptions) {
    if (!o.identity) throw new Error('leader election needs an identity (the pod name)');
    const p = electionPeriods(o.leaseDurationMs);
    this.leaseSeconds = p.leaseSeconds;
    const leaseMs = this.leaseSeconds * 1000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? p.renewDeadlineMs;
    this.retryPeriodMs = o.retryPeriodMs ?? p.retryPeriodMs;
    // Checked against what others read (whole seconds), not the setting before rounding.
    if (!(this.retryPeriodMs < this.renewDeadlineMs && this.renewDeadlineMs < leaseMs))
      throw new Error(
        `leader election needs retry period < renew deadline < lease duration (got ${this.retryPeriodMs} / ${this.renewDeadlineMs} / ${leaseMs} ms)`,
      );
    this.now = o.now ?? (() => performance.now());
    this.wallNow = o.wallNow ?? Date.now;
    this.random = o.random ?? Math.random;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    o.metrics?.setLeader(false);
  }

  get isLeader(): boolean {
    return this.leader;
  }
  /** The holder this replica last saw in the Lease ('' = none or not read yet). */
  get holder(): string {
    return this.observed?.holderIdentity ?? '';
  }
  /** Whom this replica took the Lease from when it last acquired it ('' = nobody held it). */
  previousHolder = '';

  /**
   * Whether this replica may act as the leader right now: it leads and its last renewal started
   * less than the renew deadline ago. Checked synchronously before every side effect (publish,
   * plan record): unlike the deadline timer, it cannot be late after the event loop was blocked.
   */
  mayAct(): boolean {
    return this.leader && this.now() < this.renewedAt + this.renewDeadlineMs;
  }

  /** The last failed call's message ('' after a success). */
  get lastErrorMessage(): string {
    return this.lastError;
  }

  /** Milliseconds since the API server last answered a read of the Lease (Infinity: never). */
  contactAgeMs(): number {
    return this.now() - this.contactAt;
  }

  /**
   * Tries every retry period (with client-go's jitter, so candidates do not collide in step) until
   * this replica leads (true) or stop()/release() is called (false). API errors are logged (once
   * per distinct message) and retried: an unreachable API server must not take a standby down.
   */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.tryOnce()) {
        // A write that landed after stop() was asked for: the Lease is ours, give it back.
        if (this.stopped) {
          await this.giveBack();
          return false;
        }
        this.becomeLeader();
        return true;
      }
      if (this.stopped) break;
      await this.sleep(this.retryPeriodMs * (1 + 1.2 * this.random()));
    }
    return false;
  }

  /**
   * Stops renewing, waits for a call in flight, and gives the Lease up if this replica holds it
   * (also after a loss, when a renewal landed after the deadline), so that a standby takes over
   * at once.
   */
  async release(): Promise<void> {
    this.stop();
    await this.inflight?.catch(() => undefined);
    await this.giveBack();
  }

  /** Stops every timer and aborts a call in flight, without touching the Lease. */
  stop(): void {
    this.stopped = true;
    if (this.leader) this.lose('stopped');
    this.abort?.abort();
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.wake?.();
  }

  /** Writes the Lease released (holder "", 1 s) if this replica holds it; retried on conflicts. */
  private async giveBack(): Promise<void> {
    for (let tries = 0; tries < 3; tries++) {
      try {
        const read = await this.o.store.get();
        if (!read || read.record.holderIdentity !== this.o.identity) return;
        const at = microTime(this.wallNow());
        await this.o.store.replace(read, {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: at,
          renewTime: at,
          leaseTransitions: read.record.leaseTransitions,
        });
        this.o.logger?.info('leader election: lease released', { lease: this.o.store.lease });
        return;
      } catch (err) {
        // A conflict is a renewal of ours that landed meanwhile: read again. Anything else: the
        // standby takes over when the lease runs out instead.
        if (err instanceof LeaseApiError && err.conflict) continue;
        this.o.logger?.warn('leader election: could not release the lease', {
          error: (err as Error).message,
        });
        return;
      }
    }
  }

  private becomeLeader(): void {
    this.leader = true;
    this.o.metrics?.setLeader(true);
    this.o.metrics?.acquired();
    this.o.logger?.info('leader election: this replica leads', {
      lease: this.o.store.lease,
      identity: this.o.identity,
    });
    this.armDeadline();
    void this.renewLoop();
  }

  private armDeadline(): void {
    clearTimeout(this.deadline);
    // Fires even if an API call hangs or the loop falls behind, counted from the start of the
    // last successful renewal (others' expiry starts at or after its commit). mayAct() is the
    // synchronous check of the same bound.
    const left = Math.max(0, this.renewedAt + this.renewDeadlineMs - this.now());
    this.deadline = setTimeout(
      () =>
        this.lose(
          `not renewed for ${this.renewDeadlineMs} ms${this.lastError ? ` (${this.lastError})` : ''}`,
        ),
      left,
    );
    this.deadline.unref?.();
  }

  private async renewLoop(): Promise<void> {
    while (this.leader && !this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (!this.leader || this.stopped) return;
      const ok = await this.tryOnce();
      if (!this.leader) return; // lost meanwhile (deadline): release() gives back a late renewal
      if (ok) this.armDeadline();
      else if (
        this.observed &&
        this.observed.holderIdentity !== this.o.identity &&
        this.observed.holderIdentity !== ''
      )
        this.lose(`the lease is now held by ${this.observed.holderIdentity}`);
    }
  }

  private lose(reason: string): void {
    if (!this.leader) return;
    this.leader = false;
    clearTimeout(this.deadline);
    this.abort?.abort(); // a renewal in flight must not extend a lease this replica stopped acting on
    this.o.metrics?.setLeader(false);
    if (reason !== 'stopped') {
      this.o.metrics?.lost();
      this.o.logger?.error('leader election: leadership lost', { lease: this.o.store.lease, reason });
    }
    this.resolveLost(reason);
  }

  private async tryOnce(): Promise<boolean> {
    const p = this.attempt();
    this.inflight = p;
    try {
      return await p;
    } finally {
      this.inflight = undefined;
    }
  }

  /** One read and, if allowed, one write: true when this replica holds the lease afterwards. */
  private async attempt(): Promise<boolean> {
    const id = this.o.identity;
    const start = this.now();
    const abort = (this.abort = new AbortController());
    const at = microTime(this.wallNow());
    const mine: LeaseRecord = {
      holderIdentity: id,
      leaseDurationSeconds: this.leaseSeconds,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: 0,
    };
    try {
      const read = await this.o.store.get(abort.signal);
      this.contactAt = this.now();
      if (this.stopped) return false;
      if (!read) {
        this.previousHolder = '';
        this.record(await this.o.store.create(mine, abort.signal));
        this.renewedAt = start;
        this.won = true;
        return true;
      }
      const r = read.record;
      if (!sameRecord(this.observed, r)) this.record(read);
      const expired = this.now() >= this.observedAt + r.leaseDurationSeconds * 1000;
      if (r.holderIdentity && r.holderIdentity !== id && !expired) return false;
      if (r.holderIdentity === id) {
        mine.acquireTime = r.acquireTime || at;
        mine.leaseTransitions = r.leaseTransitions;
      } else {
        mine.leaseTransitions = r.leaseTransitions + 1;
        this.previousHolder = r.holderIdentity;
      }
      this.record(await this.o.store.replace(read, mine, abort.signal));
      this.renewedAt = start;
      this.won = true;
      this.lastError = '';
      return true;
    } catch (err) {
      // Aborted by this replica (a stop, or the deadline): not an API error.
      if (!abort.signal.aborted) this.noteError(err);
      return false;
    }
  }
  private record(lease: StoredLease): void {
    this.observed = lease.record;
    this.observedAt = this.now();
  }

  private noteError(err: unknown): void {
    const e = err as Error;
    const kind =
      e instanceof LeaseApiError
        ? e.conflict
          ? 'conflict'
          : e.status === 0
            ? 'unreachable'
            : e.status === 401 || e.status === 403
              ? 'forbidden'
              : e.status === 200
                ? 'malformed'
                : 'error'
        : 'error';
    this.o.metrics?.error(kind);
    // A 409 is the normal outcome of a race between candidates; anything else is said once per
    // distinct message (a standby retrying every 2 s must not flood the log).
    if (kind !== 'conflict' && e.message !== this.lastError)
      this.o.logger?.warn('leader election: lease API call failed', {
        lease: this.o.store.lease,
        error: e.message,
      });
    if (kind !== 'conflict') this.lastError = e.message;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
