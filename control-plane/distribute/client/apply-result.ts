/**
 * What the reference client's ReservationState hands out: a held reservation as read
 * (HeldReservation), the result of applying a response (ApplyResult), and the custom check's type.
 * Kept apart from reservation-state.ts, which is about applying responses.
 */
import type { Reservation } from '../../domain/reservation';
import { readReservation } from '../codec/reservation-codec';
import { readDeltaResponse, StagedResponse } from '../codec/response-reader';

/**
 * One held reservation as callers see it (get, held): a snapshot taken when it was read, with the
 * reservation decoded from a copy of its bytes on first use. The state itself keeps no object
 * per user (record-store.ts).
 */
export class HeldReservation {
  private decoded: Reservation | undefined;

  constructor(
    readonly name: string,
    readonly version: string,
    /** Epoch ms at which it expires unless refreshed; undefined = no TTL. */
    readonly expiresAtMs: number | undefined,
    private readonly bytes: Uint8Array,
    decoded: Reservation | undefined,
  ) {
    this.decoded = decoded;
  }

  get reservation(): Reservation {
    return (this.decoded ??= readReservation(this.bytes, 0, this.bytes.length));
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
      /** Names updated (made into strings on first read); updatedCount is their number. */
      readonly updated: string[];
      updatedCount: number;
      removed: string[];
      heartbeats: number;
      ignoredHeartbeats: number;
    }
  | { ok: false; nonce: string; systemVersion: string; error: string };

/**
 * The names an applied response updated (its resources with a body, in order), made into strings
 * only if someone reads them (the client's 'response' event): a proxy applying 10^3 to 10^5
 * reservations per response need not build them. They are read again from the response's bytes
 * then, so an apply records nothing for them (it used to fill an array of name offsets each time).
 */
export class UpdatedNames {
  private list: string[] | undefined;
  constructor(private readonly bytes: Uint8Array) {}
  get names(): string[] {
    if (!this.list) {
      const s = readDeltaResponse(this.bytes, new StagedResponse()); // read once already: well formed
      this.list = [];
      for (let i = 0; i < s.count; i++) if (s.bodyStarts[i] >= 0) this.list.push(s.name(i));
      s.release();
    }
    return this.list;
  }
}

/** A successful apply; `updated` is built on first read. */
export class Applied {
  readonly ok = true;
  constructor(
    readonly nonce: string,
    readonly systemVersion: string,
    private readonly updatedNames: UpdatedNames,
    readonly updatedCount: number,
    readonly removed: string[],
    readonly heartbeats: number,
    readonly ignoredHeartbeats: number,
  ) {}
  get updated(): string[] {
    return this.updatedNames.names;
  }
}
