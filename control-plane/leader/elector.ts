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
  get(): Promise<StoredLease | undefined>;
  create(record: LeaseRecord): Promise<StoredLease>;
  replace(read: StoredLease, record: LeaseRecord): Promise<StoredLease>;
}

export interface ElectorOptions {
  store: LeaseStore;
  /** This replica's name in the Lease (the pod name). */
  identity: string;
  /** How long a lease lasts without renewal (client-go default 15 s). */
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
}

const sameRecord = (a: LeaseRecord | undefined, b: LeaseRecord): boolean =>
  a !== undefined &&
  a.holderIdentity === b.holderIdentity &&
  a.leaseDurationSeconds === b.leaseDurationSeconds &&
  a.acquireTime === b.acquireTime &&
  a.renewTime === b.renewTime &&
  a.leaseTransitions === b.leaseTransitions;

export class LeaderElector {
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private lastError = '';
  private resolveLost!: (reason: string) => void;
  /** Resolves with the reason once this replica, having led, is no longer the leader. */
  readonly lost: Promise<string>;

  constructor(private readonly o: ElectorOptions) {
    if (!o.identity) throw new Error('leader election needs an identity (the pod name)');
    this.renewDeadlineMs = o.renewDeadlineMs ?? Math.round((o.leaseDurationMs * 2) / 3);
    this.retryPeriodMs = o.retryPeriodMs ?? Math.max(1, Math.round((o.leaseDurationMs * 2) / 15));
    if (!(this.retryPeriodMs < this.renewDeadlineMs && this.renewDeadlineMs < o.leaseDurationMs))
      throw new Error(
        `leader election needs retry period < renew deadline < lease duration (got ${this.retryPeriodMs} / ${this.renewDeadlineMs} / ${o.leaseDurationMs} ms)`,
      );
    this.now = o.now ?? (() => performance.now());
    this.wallNow = o.wallNow ?? Date.now;
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

  /**
   * Tries every retry period until this replica leads (true) or stop()/release() is called (false).
   * API errors are logged (once per distinct message) and retried: an unreachable API server must
   * not take a standby down.
   */
  async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.attempt()) {
        this.becomeLeader();
        return true;
      }
      await this.sleep(this.retryPeriodMs);
    }
    return false;
  }

  /** Stops renewing; a leader gives the Lease up so that a standby takes over at once. */
  async release(): Promise<void> {
    const wasLeader = this.leader;
    this.stop();
    if (!wasLeader) return;
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
    } catch (err) {
      // Not fatal: the standby takes over when the lease runs out instead.
      this.o.logger?.warn('leader election: could not release the lease', { error: (err as Error).message });
    }
  }

  /** Stops every timer, without touching the Lease. */
  stop(): void {
    this.stopped = true;
    if (this.leader) this.lose('stopped');
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.wake?.();
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
    // Fires even if an API call hangs or the loop falls behind: the deadline is what bounds how
    // long a leader may act without knowing it still holds the lease.
    this.deadline = setTimeout(
      () =>
        this.lose(
          `not renewed for ${this.renewDeadlineMs} ms${this.lastError ? ` (${this.lastError})` : ''}`,
        ),
      this.renewDeadlineMs,
    );
    this.deadline.unref?.();
  }

  private async renewLoop(): Promise<void> {
    while (this.leader && !this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (!this.leader || this.stopped) return;
      if (await this.attempt()) this.armDeadline();
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
    this.o.metrics?.setLeader(false);
    if (reason !== 'stopped') {
      this.o.metrics?.lost();
      this.o.logger?.error('leader election: leadership lost', { lease: this.o.store.lease, reason });
    }
    this.resolveLost(reason);
  }

  /** One read and, if allowed, one write: true when this replica holds the lease afterwards. */
  private async attempt(): Promise<boolean> {
    const id = this.o.identity;
    const at = microTime(this.wallNow());
    const mine: LeaseRecord = {
      holderIdentity: id,
      leaseDurationSeconds: Math.max(1, Math.round(this.o.leaseDurationMs / 1000)),
      acquireTime: at,
      renewTime: at,
      leaseTransitions: 0,
    };
    try {
      const read = await this.o.store.get();
      if (this.stopped) return false;
      if (!read) {
        this.record(await this.o.store.create(mine));
        return true;
      }
      const r = read.record;
      if (!sameRecord(this.observed, r)) this.record(read);
      const expired = this.now() >= this.observedAt + r.leaseDurationSeconds * 1000;
      if (r.holderIdentity && r.holderIdentity !== id && !expired) return false;
      if (r.holderIdentity === id) {
        mine.acquireTime = r.acquireTime || at;
        mine.leaseTransitions = r.leaseTransitions;
      } else mine.leaseTransitions = r.leaseTransitions + 1;
      this.record(await this.o.store.replace(read, mine));
      this.lastError = '';
      return true;
    } catch (err) {
      this.noteError(err);
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
