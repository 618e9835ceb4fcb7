/**
 * A proxy's view of its reservations, as the reference client keeps it. A response is applied
 * all or nothing: every resource is validated first, and one bad resource rejects the whole
 * response (NACK) leaving the previous state untouched, as Envoy does with a bad config.
 * Like the filter, which copies validated records into shared data rather than building objects,
 * it reads a response in one pass into reused arrays (codec/response-reader.ts), finds each user's
 * record by the bytes of its name, validates the reservation's bytes and copies them into a flat
 * store (record-store.ts); a Reservation is decoded only when asked for. A delta allocates nothing
 * per user it already holds, and no response Buffer outlives its apply.
 * TTL: a reservation sent with a ttl expires that long after it (or its last heartbeat) arrived.
 */
import type { Reservation } from '../../domain/reservation';
import { reservationProblem } from '../cache/validate-reservation';
import { readReservation } from '../codec/reservation-codec';
import { reservationBytesProblem as bytesProblem } from '../codec/reservation-check';
import { RESERVATION_TYPE_URL } from '../codec/resource-codec';
import { readDeltaResponse as readResponse, StagedResponse } from '../codec/response-reader';
import {
  Applied,
  HeldReservation,
  UpdatedNames,
  type ApplyResult,
  type ReservationCheck,
} from './apply-result';
import { HeldView } from './held-view';
import { NO_TTL as NONE, RecordStore } from './record-store';

export { HeldReservation, type ApplyResult, type ReservationCheck } from './apply-result';

// Module constants: under tsx an imported binding is a getter call on every use, and these are
// used once per resource.
const TYPE_URL = RESERVATION_TYPE_URL;
const reservationBytesProblem = bytesProblem;
const readDeltaResponse = readResponse;
const NO_TTL = NONE;

export class ReservationState {
  /** The held records; `held` is a Map view of them. */
  private readonly store = new RecordStore();
  private readonly view = new HeldView(this);
  /** system_version_info of the last response that completed a revision. */
  systemVersion = '';
  /** No TTL runs out before this epoch ms (a lower bound: refreshes only move deadlines later). */
  private earliestExpiry = Infinity;
  private readonly staged = new StagedResponse();
  /** Serial of the response being applied: a record stamped with it was named in it. */
  private stamp = 0;
  /** The record of each resource of the response being applied (-1: heartbeat of an unknown user). */
  private found = new Int32Array(1024);
  /** Resources (by index) that added a record while validating; removed again if the response is refused. */
  private readonly added: number[] = [];
  /** Heartbeats of users not held, for the duplicate check. */
  private readonly unknown = new Set<string>();
  /** Reservations built for the custom check, by resource index, then by user (only with a check). */
  private readonly decoded: (Reservation | undefined)[] = [];
  private readonly decodedByUser = new Map<string, Reservation>();
  /** What the prefetch pass read (kept so that its loads are not dead code). */
  private touched = 0;

  constructor(private readonly check?: ReservationCheck) {}

  /** The held reservations by user (read-only: apply(), expire() and drop() change them). */
  get held(): ReadonlyMap<string, HeldReservation> {
    return this.view;
  }
  get size(): number {
    return this.store.size;
  }
  get(user: string): HeldReservation | undefined {
    const r = this.store.findName(user);
    return r < 0 ? undefined : this.snapshot(r);
  }

  /** Every held reservation, in record order (not insertion order). */
  *values(): IterableIterator<HeldReservation> {
    const st = this.store;
    for (let r = 0; r < st.end; r++) if (st.isLive(r)) yield this.snapshot(r);
  }

  private snapshot(r: number): HeldReservation {
    const st = this.store;
    const d = st.deadline(r);
    const name = st.name(r);
    return new HeldReservation(
      name,
      st.version(r),
      d === NO_TTL ? undefined : d,
      st.body(r),
      this.check ? this.decodedByUser.get(name) : undefined,
    );
  }

  /** name -> version, for initial_resource_versions on reconnect. */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    const st = this.store;
    for (let r = 0; r < st.end; r++) if (st.isLive(r)) out[st.name(r)] = st.version(r);
    return out;
  }

  /** Forgets a user's reservation (an unsubscribed name). */
  drop(user: string): boolean {
    const r = this.store.findName(user);
    if (r < 0) return false;
    this.store.remove(r);
    if (this.check) this.decodedByUser.delete(user);
    return true;
  }

  /**
   * Applies an encoded DeltaDiscoveryResponse atomically at time `nowMs`. Throws WireFormatError
   * when the bytes are not a well-formed response (there is then no nonce to NACK).
   */
  apply(bytes: Uint8Array, nowMs: number): ApplyResult {
    const s = readDeltaResponse(bytes, this.staged);
    let applied = false;
    try {
      if (this.found.length < s.count) this.found = new Int32Array(Math.max(s.count, this.found.length * 2));
      this.store.reserve(s.count); // record ids then stay put until the removals at the end
      this.touched = this.store.prefetch(s.nameHashes, s.count);
      const error = this.problem(s);
      if (error !== undefined)
        return { ok: false, nonce: s.nonce, systemVersion: s.systemVersionInfo, error };
      const result = this.commit(s, nowMs);
      applied = true;
      return result;
    } finally {
      if (!applied) {
        // Records added while validating: found again by name (a removal moves records).
        for (const i of this.added) {
          const r = this.store.find(s.nameHashes[i], s.bytes, s.nameStarts[i], s.nameEnds[i]);
          if (r >= 0) this.store.remove(r);
        }
      }
      this.added.length = 0;
      if (this.unknown.size > 0) this.unknown.clear();
      if (this.check) this.decoded.length = 0;
      s.release();
      this.store.release();
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
    const st = this.store;
    const found = this.found;
    for (let i = 0; i < s.count; i++) {
      const from = s.nameStarts[i];
      const to = s.nameEnds[i];
      if (to <= from) return 'a resource has no name';
      if (!s.versions[i]) return `resource "${s.name(i)}" has no version`;
      const hash = s.nameHashes[i]; // of the name's bytes, computed while reading
      let r = st.find(hash, bytes, from, to, s.view);
      const bodyStart = s.bodyStarts[i];
      if (r >= 0) {
        if (st.stamp(r) === stamp) return `resource "${s.name(i)}" appears twice in one response`;
      } else if (bodyStart >= 0) {
        // An earlier heartbeat of this not-held user left no record, only its name in `unknown`.
        if (this.unknown.size > 0 && this.unknown.has(s.name(i)))
          return `resource "${s.name(i)}" appears twice in one response`;
        r = st.add(hash, bytes, from, to, s.bodyEnds[i] - bodyStart);
        this.added.push(i);
      } else {
        const name = s.name(i);
        if (this.unknown.has(name)) return `resource "${name}" appears twice in one response`;
        this.unknown.add(name);
      }
      found[i] = r;
      if (r < 0) continue;
      st.setStamp(r, stamp);
      if (bodyStart < 0) continue; // a heartbeat
      if (s.typeUrls[i] !== TYPE_URL) return `resource "${s.name(i)}" has type ${s.typeUrls[i]}`;
      const problem = this.check
        ? this.checkDecoded(s, i, s.name(i))
        : reservationBytesProblem(bytes, bodyStart, s.bodyEnds[i], '', from, to, s.view);
      if (problem) return `resource "${s.name(i)}" rejected: ${problem}`;
    }
    for (let k = 0; k < s.removedCount; k++) {
      const n = s.removed[k];
      const r = st.findName(n);
      if ((r >= 0 && st.stamp(r) === stamp) || this.unknown.has(n))
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
    let updated = 0;
    let heartbeats = 0;
    let ignoredHeartbeats = 0;
    const st = this.store;
    const found = this.found;
    const bytes = s.bytes;
    for (let i = 0; i < s.count; i++) {
      const r = found[i];
      const ttl = s.ttls[i];
      const deadline = ttl > 0 ? nowMs + ttl : NO_TTL;
      if (ttl > 0 && deadline < this.earliestExpiry) this.earliestExpiry = deadline;
      const start = s.bodyStarts[i];
      if (start >= 0) {
        st.setBody(r, bytes, start, s.bodyEnds[i]);
        st.setVersion(r, s.versions[i]);
        st.setDeadline(r, deadline);
        if (this.check) this.decodedByUser.set(s.name(i), this.decoded[i]!);
        updated++;
        continue;
      }
      // A heartbeat refreshes the TTL only of the version it names; any other is ignored.
      if (r >= 0 && st.version(r) === s.versions[i]) {
        st.setDeadline(r, deadline);
        heartbeats++;
      } else ignoredHeartbeats++;
    }
    const removed: string[] = [];
    for (let k = 0; k < s.removedCount; k++) if (this.drop(s.removed[k])) removed.push(s.removed[k]);
    if (s.systemVersionInfo) this.systemVersion = s.systemVersionInfo;
    const names = new UpdatedNames(bytes);
    return new Applied(s.nonce, s.systemVersionInfo, names, updated, removed, heartbeats, ignoredHeartbeats);
  }

  /** Removes reservations whose TTL ran out by `nowMs`; returns their names. Scans only when one may have. */
  expire(nowMs: number): string[] {
    if (nowMs < this.earliestExpiry) return [];
    const st = this.store;
    const gone: string[] = [];
    let earliest = Infinity;
    for (let r = 0; r < st.end; r++) {
      if (!st.isLive(r)) continue;
      const d = st.deadline(r);
      if (d === NO_TTL) continue;
      if (d <= nowMs) gone.push(st.name(r));
      else if (d < earliest) earliest = d;
    }
    for (const n of gone) this.drop(n); // by name: a removal moves records
    this.earliestExpiry = earliest;
    return gone;
  }

  /** Earliest TTL deadline, for scheduling the next sweep. */
  nextExpiry(): number | undefined {
    const st = this.store;
    let min = Infinity;
    for (let r = 0; r < st.end; r++) {
      if (!st.isLive(r)) continue;
      const d = st.deadline(r);
      if (d !== NO_TTL && d < min) min = d;
    }
    return min === Infinity ? undefined : min;
  }
}
