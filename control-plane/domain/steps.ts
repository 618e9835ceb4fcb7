/**
 * An allocation of 10^6 users is ~5 s of synchronous work (bench/allocate.bench.ts), the diff of a
 * 10^6-user plan against the distribution cache ~1 s. The service
 * runs it on the event loop that also carries the distribution server (ACKs, heartbeats, usage
 * streams, new proxies), the HTTP API and the Lease renewals of leader election, and a renewal
 * that waits longer than the renew deadline loses the lease. So the long steps are written as
 * generators that `yield` between slices of users: `runToEnd` drives one synchronously (tests,
 * benchmark, replay: the same code, the same result), `runYielding` gives the event loop a turn
 * whenever a slice of wall time has passed.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A computation that yields (nothing) between slices of its work and returns T. */
export type Steps<T> = Generator<void, T, void>;

/** Users handled between two yields of a step (a power of two: checked with a mask). */
export const USERS_PER_YIELD = 8192;
export const YIELD_MASK = USERS_PER_YIELD - 1;

/** Runs `steps` to the end without giving the event loop a turn. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export interface YieldingOptions {
  /** Longest stretch of work between two turns of the event loop, ms (default 20). */
  sliceMs?: number;
  /** Called at each turn given to the event loop (tests and metrics). */
  onTurn?: () => void;
  /**
   * Asked after each turn: true abandons the computation (the promise rejects with
   * StoppedError): the service's cycle asks whether its replica lost the leader lease, so that it
   * does not spend seconds of a core on a plan it may not publish.
   */
  stop?: () => boolean;
  /** The clock slices are measured on, ms (default performance.now; tests step it). */
  now?: () => number;
}

export class StoppedError extends Error {
  constructor() {
    super('stopped before it finished');
    this.name = 'StoppedError';
  }
}

/**
 * Runs `steps`, giving the event loop a turn (setImmediate: pending I/O callbacks and timers run)
 * whenever `sliceMs` have passed since the last one. A step's slice of users is the smallest
 * unit: the stretch is at least one slice.
 */
export async function runYielding<T>(steps: Steps<T>, o: YieldingOptions = {}): Promise<T> {
  const sliceMs = o.sliceMs ?? 20;
  const now = o.now ?? (() => performance.now());
  let since = now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (now() - since < sliceMs) continue;
    o.onTurn?.();
    await nextTurn();
    if (o.stop?.()) throw new StoppedError();
    since = now();
  }
}
