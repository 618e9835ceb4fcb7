/**
 * A proxy's view of its reservations, as the reference client keeps it. A response is applied
 * all or nothing: every resource is validated first, and one bad resource rejects the whole
 * response (NACK) leaving the previous state untouched, as Envoy does with a bad config.
 * Like the filter, which copies records rather than building objects, it keeps each reservation's
 * validated bytes and decodes a Reservation only when asked for it (a held record keeps its
 * response's buffer alive).
 * TTL: a reservation sent with a ttl expires that long after it (or its last heartbeat) arrived.
 */
import type { Reservation } from '../../domain/reservation';
import { readReservation } from '../codec/reservation-codec';
import { reservationBytesProblem } from '../codec/reservation-check';
import { RESERVATION_TYPE_URL, type WireResource } from '../codec/resource-codec';
import type { DecodedDeltaResponse } from '../codec/delta-response-codec';
import { reservationProblem } from '../cache/validate-reservation';

export class HeldReservation {
  constructor(
    readonly version: string,
    /** Epoch ms at which it expires unless refreshed; undefined = no TTL. */
    public expiresAtMs: number | undefined,
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    private decoded?: Reservation,
  ) {}

  get reservation(): Reservation {
    return (this.decoded ??= readReservation(this.bytes, this.start, this.end));
  }
}

/** An extra check a proxy applies (e.g. it only routes to instances it knows); a string rejects. */
export type ReservationCheck = (r: Reservation) => string | undefined;

export type ApplyResult =
  | { ok: true; updated: string[]; removed: string[]; heartbeats: number; ignoredHeartbeats: number }
  | { ok: false; error: string };

export class ReservationState {
  readonly held = new Map<string, HeldReservation>();
  /** system_version_info of the last response that completed a revision. */
  systemVersion = '';
  /** No TTL runs out before this (a lower bound: refreshes only move deadlines later). */
  private earliestExpiry = Infinity;

  constructor(private readonly check?: ReservationCheck) {}

  get size(): number {
    return this.held.size;
  }
  get(user: string): HeldReservation | undefined {
    return this.held.get(user);
  }

  /** name -> version, for initial_resource_versions on reconnect. */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [n, h] of this.held) out[n] = h.version;
    return out;
  }

  /** Decodes and validates every resource (filling `reservation`); a string is the reason to reject. */
  private stage(resp: DecodedDeltaResponse): string | undefined {
    if (resp.typeUrl !== RESERVATION_TYPE_URL)
      return `response type_url "${resp.typeUrl}" is not ${RESERVATION_TYPE_URL}`;
    const seen = new Set<string>();
    for (const r of resp.resources) {
      if (!r.name) return 'a resource has no name';
      if (!r.version) return `resource "${r.name}" has no version`;
      if (seen.has(r.name)) return `resource "${r.name}" appears twice in one response`;
      seen.add(r.name);
      if (r.bodyStart < 0) continue; // a heartbeat
      if (r.typeUrl !== RESERVATION_TYPE_URL) return `resource "${r.name}" has type ${r.typeUrl}`;
      const problem = this.check
        ? this.checkDecoded(resp, r)
        : reservationBytesProblem(resp.bytes, r.bodyStart, r.bodyEnd, r.name);
      if (problem) return `resource "${r.name}" rejected: ${problem}`;
    }
    for (const n of resp.removed) if (seen.has(n)) return `resource "${n}" is both updated and removed`;
    return undefined;
  }

  /** With a custom check the reservation is built now (the check needs it) and kept. */
  private checkDecoded(resp: DecodedDeltaResponse, r: WireResource): string | undefined {
    let res: Reservation;
    try {
      res = readReservation(resp.bytes, r.bodyStart, r.bodyEnd);
    } catch (err) {
      return (err as Error).message;
    }
    r.reservation = res;
    return reservationProblem(res, r.name) ?? this.check!(res);
  }

  /** Applies a decoded response atomically at time `nowMs`. */
  apply(resp: DecodedDeltaResponse, nowMs: number): ApplyResult {
    const problem = this.stage(resp);
    if (problem !== undefined) return { ok: false, error: problem };
    const updated: string[] = [];
    let heartbeats = 0;
    let ignoredHeartbeats = 0;
    for (const s of resp.resources) {
      const expiresAtMs = s.ttlMs && s.ttlMs > 0 ? nowMs + s.ttlMs : undefined;
      if (expiresAtMs !== undefined && expiresAtMs < this.earliestExpiry) this.earliestExpiry = expiresAtMs;
      if (s.bodyStart >= 0) {
        this.held.set(
          s.name,
          new HeldReservation(s.version, expiresAtMs, resp.bytes, s.bodyStart, s.bodyEnd, s.reservation),
        );
        updated.push(s.name);
        continue;
      }
      // A heartbeat refreshes the TTL only of the version it names; any other is ignored.
      const h = this.held.get(s.name);
      if (h && h.version === s.version) {
        h.expiresAtMs = expiresAtMs;
        heartbeats++;
      } else ignoredHeartbeats++;
    }
    const removed: string[] = [];
    for (const n of resp.removed) if (this.held.delete(n)) removed.push(n);
    if (resp.systemVersionInfo) this.systemVersion = resp.systemVersionInfo;
    return { ok: true, updated, removed, heartbeats, ignoredHeartbeats };
  }

  /** Removes reservations whose TTL ran out by `nowMs`; returns their names. Scans only when one may have. */
  expire(nowMs: number): string[] {
    if (nowMs < this.earliestExpiry) return [];
    const gone: string[] = [];
    let earliest = Infinity;
    for (const [n, h] of this.held) {
      if (h.expiresAtMs === undefined) continue;
      if (h.expiresAtMs <= nowMs) {
        this.held.delete(n);
        gone.push(n);
      } else if (h.expiresAtMs < earliest) earliest = h.expiresAtMs;
    }
    this.earliestExpiry = earliest;
    return gone;
  }

  /** Earliest TTL deadline, for scheduling the next sweep. */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const h of this.held.values())
      if (h.expiresAtMs !== undefined && (min === undefined || h.expiresAtMs < min)) min = h.expiresAtMs;
    return min;
  }
}
