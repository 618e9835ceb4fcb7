/**
 * The sandbox pool's types (sandbox-pool.ts): instances, options, sandboxes, the ticket a request
 * holds, and the pool's counters. Split from the pool so the model's logic reads on its own.
 */
import type { AccountingWindow } from './held-memory';

export interface PoolInstance {
  id: string;
  memoryMb: number;
}

export interface SandboxPoolOptions {
  instances: readonly PoolInstance[];
  /** Memory one sandbox of user u holds, MB (the trace's allocated memory). */
  userMemoryMb: ArrayLike<number>;
  /** What a request pays when it lands where nothing is warm. */
  coldStartMs: number;
  /** How long a sandbox no reservation holds stays warm after its last request (0 = released at once). */
  keepAliveMs: number;
  /** Held memory is counted inside this window only. */
  window: AccountingWindow;
  /** Longest a request waits for capacity before the platform gives up on it (default 60 s). */
  maxCapacityWaitMs?: number;
  /**
   * When a new sandbox does not fit, release idle kept-alive sandboxes (never reserved ones) of
   * that instance, least recently used first, as platforms do under memory pressure (default off).
   */
  evictIdleKept?: boolean;
  binMs?: number;
}

export const DEFAULT_MAX_CAPACITY_WAIT_MS = 60_000;

/** How a request got its sandbox: reserved/kept = warm at once, warming = waited for the rest of a warm-up. */
export type StartKind = 'reserved' | 'kept' | 'warming' | 'cold';

export interface Sandbox {
  readonly id: number;
  readonly user: number;
  readonly inst: number;
  readonly createdMs: number;
  readonly readyMs: number;
  busy: boolean;
  reserved: boolean;
  lastUsedMs: number;
  alive: boolean;
  /** Start of the current accounting segment (the reserved flag has not changed since). */
  segMs: number;
  /** Bumped whenever a scheduled keep-alive expiry stops applying. */
  gen: number;
}

export class Ticket {
  kind: StartKind | undefined;
  /** The platform gave up waiting for capacity for it (never served). */
  timedOut = false;
  /** When the request got a sandbox (its arrival, or later after waiting for capacity). */
  assignedMs = NaN;
  /** When its service begins (after a cold start or warm-up) and ends. */
  startMs = NaN;
  endMs = NaN;
  sandbox: Sandbox | undefined;

  constructor(
    readonly id: number,
    readonly user: number,
    readonly arrivalMs: number,
    readonly serviceMs: number,
    /** Instance the request was routed to (-1: any; the platform's front end picks). */
    readonly target: number,
    /** Take a reserved sandbox before a kept one (a request admitted on its reservation). */
    readonly preferReserved: boolean,
  ) {}

  get waiting(): boolean {
    return this.kind === undefined;
  }
  get capacityWaitMs(): number {
    return this.assignedMs - this.arrivalMs;
  }
  get coldMs(): number {
    return this.startMs - this.assignedMs;
  }
}

/** A scheduled keep-alive expiry (the pool's heap entry). */
export interface Expiry {
  at: number;
  seq: number;
  box: Sandbox;
  gen: number;
}

export interface PoolCounters {
  created: number;
  released: number;
  cold: number;
  /** Cold starts of a user that had no sandbox at all (nothing reserved or kept), and of one whose every sandbox was busy. */
  coldNoSandbox: number;
  coldAllBusy: number;
  /** Cold starts while the user held a reservation (all its reserved sandboxes busy, or not placed for want of memory). */
  coldReserved: number;
  /** Cold starts of requests routed to one instance (admitted on a reservation none of whose sandboxes was free there). */
  coldTargeted: number;
  warming: number;
  capacityWaits: number;
  /** Of them, requests routed to one instance (a reservation's) that had no room there. */
  capacityWaitsTargeted: number;
  capacityTimeouts: number;
  /** Idle kept-alive sandboxes released early to make room (evictIdleKept). */
  evicted: number;
  /** Reserved sandboxes that could not be placed when asked for (capacity), retried on every release. */
  reservationDeficits: number;
}
