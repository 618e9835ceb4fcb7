/**
 * A proxy's view of its reservations, as the reference client keeps it. A response is applied
 * all or nothing: every resource is validated first, and one bad resource rejects the whole
 * response (NACK) leaving the previous state untouched, as Envoy does with a bad config.
 * Like the filter, which copies records rather than building objects, it reads a response in one
 * pass into reused arrays (codec/response-reader.ts), finds each user's record by the bytes of
 * its name (name-index.ts), validates the reservation's bytes, keeps them, and decodes a
 * Reservation only when asked for it (a held record keeps its response's buffer alive). A user's
 * record is updated in place: a delta allocates nothing per user it already holds.
 * TTL: a reservation sent with a ttl expires that long after it (or its last heartbeat) arrived.
 */
import type { Reservation } from '../../domain/reservation';
import { reservationProblem } from '../cache/validate-reservation';
import { readReservation } from '../codec/reservation-codec';
import { reservationBytesProblem as bytesProblem } from '../codec/reservation-check';
import { RESERVATION_TYPE_URL } from '../codec/resource-codec';
import { readDeltaResponse as readResponse, StagedResponse } from '../codec/response-reader';
import { HeldView } from './held-view';
import { NameIndex } from './name-index';

// Module constants: under tsx an imported binding is a getter call on every use, and these are
// used once per resource.
const TYPE_URL = RESERVATION_TYPE_URL;
const reservationBytesProblem = bytesProblem;
const readDeltaResponse = readResponse;

/** The epoch ms that a state's TTL deadlines count from (its first apply). */
export interface TimeBase {
  base: number;
}

/** HeldReservation.deadline of a reservation sent without a TTL. */
const NO_TTL = -1;

export class HeldReservation {
  /** The response that last named this user (ReservationState's duplicate check). */
  stamp = 0;
  /**
   * Expiry deadline in ms after time.base, NO_TTL for none: a small integer, so V8 stores it in
   * the object itself. An epoch-ms double would need a heap-number box per record, ~250,000
   * more objects for every full GC of a process running 25 emulated proxies of 10^4 users.
   */
  deadline = NO_TTL;

  constructor(
    readonly name: string,
    /** Read-only to callers: a newer version of the same user replaces it in place. */
    public version: string,
    private readonly time: TimeBase,
    private bytes: Uint8Array,
    private start: number,
    private end: number,
    private decoded: Reservation | undefined,
  ) {}

  /** Epoch ms at which it expires unless refreshed; undefined = no TTL. */
  get expiresAtMs(): number | undefined {
    return this.deadline === NO_TTL ? undefined : this.time.base + this.deadline;
  }

  get reservation(): Reservation {
    return (this.decoded ??= readReservation(this.bytes, this.start, this.end));
  }

  /** Holds a newer version (ReservationState.apply only); deadline as in `deadline`. */
  replace(
    version: string,
    deadline: number,
    bytes: Uint8Array,
    start: number,
    end: number,
    decoded: Reservation | undefined,
  ): void {
    this.version = version;
    this.deadline = deadline;
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.decoded = decoded;
  }
}

/** An extra check a proxy applies (e.g. it only routes to instances it knows); a string rejects. */
export type ReservationCheck = (r: Reservation) => string | undefined;

/** What applying one response did; nonce and systemVersion are the response's, for the ACK/NACK. */
export type ApplyResult =
  | {
      ok: true;
      nonce: string;
      systemVersion: string;
      updated: string[];
      removed: string[];
      heartbeats: number;
      ignoredHeartbeats: number;
    }
  | { ok: false; nonce: string; systemVersion: string; error: string };

const NO_BYTES = new Uint8Array(0);

export class ReservationState {
  /** The held records by name; `held` is a Map view of it (no second Map per proxy). */
  private readonly index = new NameIndex<HeldReservation>();
  private readonly view = new HeldView(this.index);
  /** system_version_info of the last response that completed a revision. */
  systemVersion = '';
  /** No TTL runs out before this epoch ms (a lower bound: refreshes only move deadlines later). */
  private earliestExpiry = Infinity;
  /** Deadlines count from the first apply (see HeldReservation.deadline). */
  private readonly time: TimeBase = { base: NaN };
  private readonly staged = new StagedResponse();
  /** Serial of the response being applied: a record stamped with it was named in it. */
  private stamp = 0;
  /** The record of each resource of the response being applied (undefined: heartbeat of an unknown user). */
  private readonly found: (HeldReservation | undefined)[] = [];
  /** Records of new users, indexed while validating; taken out again if the response is refused. */
  private readonly added: HeldReservation[] = [];
  /** Heartbeats of users not held, for the duplicate check. */
  private readonly unknown = new Set<string>();
  /** Reservations built for the custom check, by resource index (kept when applied). */
  private readonly decoded: (Reservation | undefined)[] = [];

  constructor(private readonly check?: ReservationCheck) {}

  /** The held reservations by user (read-only: apply(), expire() and drop() change them). */
  get held(): ReadonlyMap<string, HeldReservation> {
    return this.view;
  }
  get size(): number {
    return this.index.size;
  }
  get(user: string): HeldReservation | undefined {
    return this.index.find(user);
  }

  /** name -> version, for initial_resource_versions on reconnect. */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const h of this.index.values()) out[h.name] = h.version;
    return out;
  }

  /** Forgets a user's reservation (an unsubscribed name). */
  drop(user: string): boolean {
    return this.index.delete(user);
  }

  /**
   * Applies an encoded DeltaDiscoveryResponse atomically at time `nowMs`. Throws WireFormatError
   * when the bytes are not a well-formed response (there is then no nonce to NACK).
   */
  apply(bytes: Uint8Array, nowMs: number): ApplyResult {
    const s = readDeltaResponse(bytes, this.staged);
    let applied = false;
    try {
      const error = this.problem(s);
      if (error !== undefined)
        return { ok: false, nonce: s.nonce, systemVersion: s.systemVersionInfo, error };
      const result = this.commit(s, nowMs);
      applied = true;
      return result;
    } finally {
      if (!applied) for (const h of this.added) this.index.delete(h.name);
      this.added.length = 0;
      if (this.unknown.size > 0) this.unknown.clear();
      if (this.check) this.decoded.length = 0;
      if (this.found.length > s.count) this.found.length = s.count; // no dangling records
      s.release();
    }
  }

  /**
   * Validates every resource; a string is the reason to reject the whole response. Finds each
   * user's record once (commit reuses it); a name seen twice is caught by the stamp on its record.
   */
  private problem(s: StagedResponse): string | undefined {
    if (s.typeUrl !== TYPE_URL) return `response type_url "${s.typeUrl}" is not ${TYPE_URL}`;
    const stamp = ++this.stamp;
    const bytes = s.bytes;
    for (let i = 0; i < s.count; i++) {
      const from = s.nameStarts[i];
      const to = s.nameEnds[i];
      if (to <= from) return 'a resource has no name';
      if (!s.versions[i]) return `resource "${s.name(i)}" has no version`;
      const decodedName = s.names[i]; // '' for an ASCII name, found by its bytes
      const hash = s.nameHashes[i]; // of the name's bytes: the same as hashName(decodedName)
      let h = decodedName ? this.index.find(decodedName, hash) : this.index.findAscii(hash, bytes, from, to);
      const body = s.bodyStarts[i] >= 0;
      if (h) {
        if (h.stamp === stamp) return `resource "${h.name}" appears twice in one response`;
      } else {
        const name = s.name(i);
        if (this.unknown.size > 0 && this.unknown.has(name))
          return `resource "${name}" appears twice in one response`;
        if (body) {
          h = new HeldReservation(name, '', this.time, NO_BYTES, 0, 0, undefined);
          this.index.insert(h, hash);
          this.added.push(h);
        } else this.unknown.add(name);
      }
      this.found[i] = h;
      if (!h) continue;
      h.stamp = stamp;
      if (!body) continue; // a heartbeat
      if (s.typeUrls[i] !== TYPE_URL) return `resource "${h.name}" has type ${s.typeUrls[i]}`;
      const problem = this.check
        ? this.checkDecoded(s, i, h.name)
        : reservationBytesProblem(bytes, s.bodyStarts[i], s.bodyEnds[i], h.name, from, to);
      if (problem) return `resource "${h.name}" rejected: ${problem}`;
    }
    for (let k = 0; k < s.removedCount; k++) {
      const n = s.removed[k];
      if (this.index.find(n)?.stamp === stamp || this.unknown.has(n))
        return `resource "${n}" is both updated and removed`;
    }
    return undefined;
  }

  /** With a custom check the reservation is built now (the check needs it) and kept. */
  private checkDecoded(s: StagedResponse, i: number, name: string): string | undefined {
    let res: Reservation;
    try {
      res = readReservation(s.bytes, s.bodyStarts[i], s.bodyEnds[i]);
    } catch (err) {
      return (err as Error).message;
    }
    this.decoded[i] = res;
    return reservationProblem(res, name) ?? this.check!(res);
  }

  private commit(s: StagedResponse, nowMs: number): ApplyResult {
    const updated: string[] = [];
    let heartbeats = 0;
    let ignoredHeartbeats = 0;
    if (this.time.base !== this.time.base) this.time.base = nowMs;
    const since = nowMs - this.time.base;
    for (let i = 0; i < s.count; i++) {
      const h = this.found[i];
      const ttl = s.ttls[i];
      // Relative to the base (>= 0 even if the clock stepped back): epoch ms = base + deadline.
      const deadline = ttl > 0 ? Math.max(0, since + ttl) : NO_TTL;
      if (ttl > 0 && nowMs + ttl < this.earliestExpiry) this.earliestExpiry = nowMs + ttl;
      const start = s.bodyStarts[i];
      if (start >= 0) {
        const decoded = this.check ? this.decoded[i] : undefined;
        h!.replace(s.versions[i], deadline, s.bytes, start, s.bodyEnds[i], decoded);
        updated.push(h!.name);
        continue;
      }
      // A heartbeat refreshes the TTL only of the version it names; any other is ignored.
      if (h && h.version === s.versions[i]) {
        h.deadline = deadline;
        heartbeats++;
      } else ignoredHeartbeats++;
    }
    const removed: string[] = [];
    for (let k = 0; k < s.removedCount; k++) if (this.drop(s.removed[k])) removed.push(s.removed[k]);
    if (s.systemVersionInfo) this.systemVersion = s.systemVersionInfo;
    return {
      ok: true,
      nonce: s.nonce,
      systemVersion: s.systemVersionInfo,
      updated,
      removed,
      heartbeats,
      ignoredHeartbeats,
    };
  }

  /** Removes reservations whose TTL ran out by `nowMs`; returns their names. Scans only when one may have. */
  expire(nowMs: number): string[] {
    if (nowMs < this.earliestExpiry) return [];
    const gone: string[] = [];
    let earliest = Infinity;
    const since = nowMs - this.time.base;
    for (const h of this.index.values()) {
      const d = h.deadline;
      if (d === NO_TTL) continue;
      if (d <= since) gone.push(h.name);
      else if (d < earliest) earliest = d;
    }
    for (const n of gone) this.drop(n);
    this.earliestExpiry = earliest === Infinity ? Infinity : this.time.base + earliest;
    return gone;
  }

  /** Earliest TTL deadline, for scheduling the next sweep. */
  nextExpiry(): number | undefined {
    let min = Infinity;
    for (const h of this.index.values()) if (h.deadline !== NO_TTL && h.deadline < min) min = h.deadline;
    return min === Infinity ? undefined : this.time.base + min;
  }
}
