/**
 * The per-resource versioned cache the distribution server serves from.
 *
 * Protocol rules it implements (xDS incremental variant):
 *  - each user's reservation is one resource with its own version; a publish bumps a resource's
 *    version only when sameReservation() says it changed, so proxies receive only real changes;
 *  - a publish (a whole Plan, or a set of upserts and removals) is one atomic step: it is validated
 *    in full first, then becomes one new cache revision, or is rejected and changes nothing;
 *  - version strings are `<epoch>.<revision>` (base 36): unique for this cache's lifetime and never
 *    equal to a version from an earlier process, so a proxy's initial_resource_versions can never be
 *    mistaken for current after a control-plane restart (it is resent instead).
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../../domain/clock';
import { SystemClock } from '../../domain/clock';
import type { Plan } from '../../domain/plan';
import { sameReservation, type Reservation } from '../../domain/reservation';
import * as steps from '../../domain/steps';
import type { Steps, YieldingOptions } from '../../domain/steps';
import { ChangeLog, type RevisionRecord } from './change-log';
import { reservationProblem } from './validate-reservation';

// Module-level copies: tsx compiles imported bindings to getter calls (read per user in diff()).
const { runToEnd, runYielding, YIELD_MASK } = steps;

/**
 * One user's reservation as the cache holds it: a copy of the published fields plus its version,
 * in one object (a 10^5-user plan would otherwise allocate, and later collect, twice as many).
 */
export interface CacheEntry extends Readonly<Reservation> {
  readonly name: string;
  readonly version: string;
  /** Cache revision at which this version was published. */
  readonly revision: number;
  /**
   * The Resource framed as DeltaDiscoveryResponse field 2, encoded by the first response that
   * sends it: bytes [fieldStart, fieldEnd) of fieldBytes (that response's buffer). A reference and
   * two small integers rather than a Buffer view per entry: a full plan would otherwise make 10^5
   * views that all survive into old space. undefined until encoded (see encodedField).
   */
  fieldBytes: Buffer | undefined;
  fieldStart: number;
  fieldEnd: number;
  /** False once the entry left the cache (a user added again gets a new entry). */
  live: boolean;
}

/** The entry's cached Resource field, as a view; undefined when not encoded yet. */
export function encodedField(e: CacheEntry): Buffer | undefined {
  return e.fieldBytes?.subarray(e.fieldStart, e.fieldEnd);
}

/** The entry for `r`: a flat copy, so a caller mutating its plan later cannot change the cache. */
function entryOf(r: Reservation, version: string, revision: number): CacheEntry {
  return {
    user: r.user,
    instanceId: r.instanceId,
    instanceAddress: r.instanceAddress,
    slots: r.slots,
    ratePerMinute: r.ratePerMinute,
    burst: r.burst,
    cpuMillicores: r.cpuMillicores,
    memoryMb: r.memoryMb,
    bandwidthKbps: r.bandwidthKbps,
    tier: r.tier,
    priority: r.priority,
    maxQueueWaitMs: r.maxQueueWaitMs,
    onExhausted: r.onExhausted,
    notBeforeMs: r.notBeforeMs,
    expiresMs: r.expiresMs,
    fallback: r.fallback,
    name: r.user,
    version,
    revision,
    fieldBytes: undefined,
    fieldStart: 0,
    fieldEnd: 0,
    live: true,
  };
}

/**
 * Makes `e` hold `r` at a new version, in place. Safe because nothing keeps an entry's old state:
 * responses copy an entry's encoding when they are built, and later ones read the current state.
 */
function assignEntry(e: CacheEntry, r: Reservation, version: string, revision: number): void {
  const m = e as { -readonly [K in keyof CacheEntry]: CacheEntry[K] };
  m.instanceId = r.instanceId;
  m.instanceAddress = r.instanceAddress;
  m.slots = r.slots;
  m.ratePerMinute = r.ratePerMinute;
  m.burst = r.burst;
  m.cpuMillicores = r.cpuMillicores;
  m.memoryMb = r.memoryMb;
  m.bandwidthKbps = r.bandwidthKbps;
  m.tier = r.tier;
  m.priority = r.priority;
  m.maxQueueWaitMs = r.maxQueueWaitMs;
  m.onExhausted = r.onExhausted;
  m.notBeforeMs = r.notBeforeMs;
  m.expiresMs = r.expiresMs;
  m.fallback = r.fallback;
  m.version = version;
  m.revision = revision;
  m.fieldBytes = undefined;
}

export interface PublishResult {
  revision: number;
  systemVersion: string;
  /** Reservations added or changed, removed, and left as they were. */
  updated: number;
  removed: number;
  unchanged: number;
  /** False when the publish changed nothing (same reservations, same system version). */
  changed: boolean;
}

export interface ReservationChanges {
  upsert?: Iterable<Reservation>;
  remove?: Iterable<string>;
  /** What proxies see as system_version_info (the plan version); default: this revision's version. */
  systemVersion?: string;
}

export interface CacheOptions {
  /** Resource TTL sent with every reservation; 0 = no TTL. Default 300 s. */
  ttlMs?: number;
  clock?: Clock;
  /**
   * Version prefix; default: the cache's creation second and 4 random characters in base 36, and a
   * dot. The random part matters: a control plane restarted within the same second would otherwise
   * reissue versions the proxies already hold, and they would keep stale reservations.
   */
  versionPrefix?: string;
  /** How many changed names the change log keeps (older streams resync). Default 1,000,000. */
  maxLogNames?: number;
}

/** A publish refused as a whole: nothing was applied. */
export class PublishRejectedError extends Error {
  constructor(readonly problems: string[]) {
    super(`publish rejected, nothing applied: ${problems.join('; ')}${problems.length >= 10 ? '; …' : ''}`);
    this.name = 'PublishRejectedError';
  }
}

export type CacheListener = (result: PublishResult) => void;

function defaultVersionPrefix(): string {
  const nonce = randomInt(36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `${Math.floor(Date.now() / 1000).toString(36)}${nonce}.`;
}

/** What a publish changes, found before anything is changed (ReservationCache.diff). */
interface Diff {
  /** The cache's revision the diff was made against. */
  revision: number;
  problems: string[];
  changed: Reservation[];
  /** The entry each changed reservation replaces (undefined: a new user), by index in `changed`. */
  previous: (CacheEntry | undefined)[];
  /** Upserts already cached. */
  held: number;
}

export class ReservationCache {
  readonly ttlMs: number;
  readonly clock: Clock;
  private readonly prefix: string;
  private readonly entries = new Map<string, CacheEntry>();
  private readonly log: ChangeLog;
  private readonly listeners = new Set<CacheListener>();
  private rev = 0;
  private sysVersion = '';

  constructor(opts: CacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 300_000;
    this.clock = opts.clock ?? new SystemClock();
    this.prefix = opts.versionPrefix ?? defaultVersionPrefix();
    this.log = new ChangeLog(opts.maxLogNames ?? 1_000_000);
  }

  get revision(): number {
    return this.rev;
  }
  get systemVersion(): string {
    return this.sysVersion;
  }
  get size(): number {
    return this.entries.size;
  }
  get(name: string): CacheEntry | undefined {
    return this.entries.get(name);
  }
  values(): IterableIterator<CacheEntry> {
    return this.entries.values();
  }
  /** Names changed after `revision`, or undefined when the change log no longer covers it. */
  changedSince(revision: number): readonly string[] | undefined {
    return this.log.namesSince(revision);
  }
  revisionRecord(revision: number): RevisionRecord | undefined {
    return this.log.get(revision);
  }

  /** Called after every publish that changed something, synchronously. Returns an unsubscribe function. */
  onChange(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes the cache hold exactly the plan's reservations; users absent from the plan are removed. */
  publishPlan(plan: Plan): PublishResult {
    return this.apply(plan.reservations, undefined, plan.version);
  }

  /** Upserts and removes some reservations, leaving the others as they are. */
  publishChanges(changes: ReservationChanges): PublishResult {
    const upserts = new Map<string, Reservation>();
    for (const r of changes.upsert ?? []) {
      if (upserts.has(r?.user)) throw new PublishRejectedError([`user "${r.user}" appears twice`]);
      upserts.set(r?.user, r);
    }
    const remove = [...new Set(changes.remove ?? [])];
    const both = remove.filter((n) => upserts.has(n));
    if (both.length > 0)
      throw new PublishRejectedError([`users both upserted and removed: ${both.join(', ')}`]);
    return this.apply(upserts, remove, changes.systemVersion);
  }

  /**
   * publishPlan, with the validation and the diff against the cache (~1 s at 10^6 users) giving
   * the event loop turns (domain/steps.ts); the publish itself is still one synchronous step, so
   * streams see the old revision or the new one, never a mix. Should another publish land
   * meanwhile, the diff is made again at once. `beforeCommit` runs just before it (leader
   * election's fence: a lease lost during the diff refuses the publish).
   */
  async publishPlanYielding(
    plan: Plan,
    o: YieldingOptions & { beforeCommit?: () => void } = {},
  ): Promise<PublishResult> {
    let diff = await runYielding(this.diff(plan.reservations), o);
    if (diff.revision !== this.rev) diff = runToEnd(this.diff(plan.reservations));
    o.beforeCommit?.();
    return this.commit(diff, plan.reservations, undefined, plan.version);
  }

  /** `remove` undefined: a whole plan, every cached user missing from `upserts` is removed. */
  private apply(
    upserts: ReadonlyMap<string, Reservation>,
    remove: string[] | undefined,
    systemVersion?: string,
  ): PublishResult {
    return this.commit(runToEnd(this.diff(upserts)), upserts, remove, systemVersion);
  }

  /** Validates the upserts and finds the changed ones (reads the cache, changes nothing). */
  private *diff(upserts: ReadonlyMap<string, Reservation>): Steps<Diff> {
    const d: Diff = { revision: this.rev, problems: [], changed: [], previous: [], held: 0 };
    let n = 0;
    for (const [name, r] of upserts) {
      if ((++n & YIELD_MASK) === 0) yield;
      const problem = reservationProblem(r, name);
      if (problem) {
        if (d.problems.push(`${name}: ${problem}`) >= 10) break;
        continue;
      }
      const old = this.entries.get(name);
      if (old) d.held++;
      if (!old || !sameReservation(old, r)) {
        d.changed.push(r);
        d.previous.push(old);
      }
    }
    return d;
  }

  private commit(
    d: Diff,
    upserts: ReadonlyMap<string, Reservation>,
    remove: string[] | undefined,
    systemVersion?: string,
  ): PublishResult {
    const { problems, changed, previous, held } = d;
    if (remove === undefined) {
      // A plan that names every cached user removes none: skip a lookup per cached user.
      remove = [];
      if (problems.length === 0 && held < this.entries.size)
        for (const name of this.entries.keys()) if (!upserts.has(name)) remove.push(name);
    }
    if (systemVersion !== undefined && (typeof systemVersion !== 'string' || systemVersion.length > 256)) {
      problems.push('systemVersion must be a string of at most 256 characters');
    }
    if (problems.length > 0) throw new PublishRejectedError(problems);
    const removed = remove.filter((n) => this.entries.has(n));
    const nextSystem = systemVersion || undefined;
    const unchanged = upserts.size - changed.length;
    if (
      changed.length === 0 &&
      removed.length === 0 &&
      (nextSystem === undefined || nextSystem === this.sysVersion)
    ) {
      return {
        revision: this.rev,
        systemVersion: this.sysVersion,
        updated: 0,
        removed: 0,
        unchanged,
        changed: false,
      };
    }
    const revision = this.rev + 1;
    const version = this.prefix + revision.toString(36);
    const names: string[] = [];
    const entries: (CacheEntry | undefined)[] = [];
    for (let i = 0; i < changed.length; i++) {
      const r = changed[i];
      let e = previous[i];
      // A user already held is updated in place: a plan mostly changes known users, and 10^5 new
      // entries per publish would all survive the young generation (copied twice by the GC).
      if (e) assignEntry(e, r, version, revision);
      else this.entries.set(r.user, (e = entryOf(r, version, revision)));
      // The entry's name, not the plan's copy of it: a held user's is an old string already, and
      // the change log keeps names for many revisions (each fresh copy would survive into old space).
      names.push(e.name);
      entries.push(e);
    }
    for (const n of removed) {
      const gone = this.entries.get(n) as { live: boolean; name: string };
      gone.live = false;
      this.entries.delete(n);
      names.push(gone.name); // the held string, as above: the caller's copy would be kept too
      entries.push(undefined);
    }
    this.rev = revision;
    this.sysVersion = nextSystem ?? version;
    this.log.append({
      revision,
      publishedAtMs: this.clock.now(),
      systemVersion: this.sysVersion,
      names,
      entries,
    });
    const result = {
      revision,
      systemVersion: this.sysVersion,
      updated: changed.length,
      removed: removed.length,
      unchanged,
      changed: true,
    };
    for (const l of this.listeners) l(result);
    return result;
  }
}
