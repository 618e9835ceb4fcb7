// One admission attempt for a stream: read the user's record from shared data (reservation and
// live counters in one value), then take a slot and a token by writing the record back with
// compare-and-swap; users without a valid reservation draw on the unreserved pool instead.
// Leaves the verdict in the Admission's fields; the filter root acts on it. Host calls: one get,
// plus one set when the reservation limits concurrency or rate (and a get + set per CAS retry).
import { getSharedData, setSharedData } from '../abi/shared_data';
import { returned } from '../abi/hostcalls';
import { WasmResult } from '../abi/types';
import { Action, Config } from '../config/config';
import { KIND_RESERVATION, Keys, UserKeys } from '../plan/keys';
import { Acquire, Limits, MAX_CAS_ATTEMPTS, acquireKey, giveSlot, takeInfo, takeSlot } from '../plan/live';
import { RecordStatus, ReservationView, decodeRecord } from '../plan/record';
import { Holding, Stream } from './stream';

export const enum Why {
  None = 0,
  NoReservation = 1,
  NoSlot = 2,
  NoToken = 3,
  Contended = 4,
}

/**
 * Unmanaged (plain memory, owned by the filter state): an attempt runs on every request, without
 * a GC frame. It keeps the configuration it needs as plain values; the strings (fallbacks, route)
 * point into the Config's buffers, which the filter state keeps alive.
 */
@unmanaged
export class Admission {
  private readonly poolKeyPtr: usize;
  private readonly poolKeyLen: usize;
  private readonly view: ReservationView = new ReservationView();
  private readonly limits: Limits = new Limits();
  private readonly slotLeaseMs: u64;
  private readonly defaultAction: Action;
  private readonly defaultMaxWaitMs: u32;
  private readonly defaultFallbackPtr: usize;
  private readonly defaultFallbackLen: usize;
  private readonly poolSlots: u32;
  private readonly poolRatePerMinute: u32;
  private readonly poolBurst: u32;
  private readonly poolAction: Action;
  private readonly poolMaxWaitMs: u32;
  private readonly poolPriority: u32;
  private readonly poolFallbackPtr: usize;
  private readonly poolFallbackLen: usize;
  private readonly poolRoutePtr: usize;
  private readonly poolRouteLen: usize;

  // Verdict of the last attempt.
  admitted: bool = false;
  reserved: bool = false;
  invalidRecord: bool = false;
  holding: Holding = Holding.None;
  why: Why = Why.None;
  /** Where an admitted request goes; empty = the route's default (routing header removed). */
  routePtr: usize = 0;
  routeLen: usize = 0;
  // Policy when not admitted.
  action: Action = Action.Reject;
  maxWaitMs: u32 = 0;
  priority: u32 = 0;
  fallbackPtr: usize = 0;
  fallbackLen: usize = 0;
  retryAfterMs: u64 = 0;
  inFlight: u32 = 0;

  constructor(config: Config, keys: Keys) {
    this.poolKeyPtr = keys.pool.ptr;
    this.poolKeyLen = keys.pool.len;
    this.slotLeaseMs = <u64>config.slotLeaseMs;
    const d = config.defaults;
    this.defaultAction = d.onExhausted;
    this.defaultMaxWaitMs = d.maxQueueWaitMs;
    this.defaultFallbackPtr = d.fallback.ptr;
    this.defaultFallbackLen = d.fallback.len;
    const u = config.unreserved;
    this.poolSlots = u.slots;
    this.poolRatePerMinute = u.ratePerMinute;
    this.poolBurst = u.burst;
    this.poolAction = u.onExhausted;
    this.poolMaxWaitMs = u.maxQueueWaitMs;
    this.poolPriority = u.priority;
    this.poolFallbackPtr = u.fallback.ptr;
    this.poolFallbackLen = u.fallback.len;
    this.poolRoutePtr = u.route.ptr;
    this.poolRouteLen = u.route.len;
  }

  attempt(s: Stream, now: u64): void {
    this.admitted = false;
    this.reserved = false;
    this.invalidRecord = false;
    this.holding = Holding.None;
    this.why = Why.None;
    this.retryAfterMs = 0;
    this.inFlight = 0;
    if (s.userLen > 0) {
      const keyLen = s.keyHead + s.userLen;
      for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
        if (!this.lookup(s.key, keyLen, now) || this.takeReserved(s.key, keyLen, now)) break;
      }
      if (this.reserved) {
        this.exhausted();
        return;
      }
    }
    this.attemptUnreserved(now);
  }

  /** Reads the record under `key`; true when a reservation applies now. */
  private lookup(key: usize, keyLen: usize, now: u64): bool {
    if (getSharedData(key, keyLen) != WasmResult.Ok) return false;
    const status = decodeRecord(returned.ptr, returned.len, this.view);
    if (status == RecordStatus.Invalid) this.invalidRecord = true;
    const active = status == RecordStatus.Valid && this.view.activeAt(now);
    this.reserved = active;
    return active;
  }

  /** Takes a slot in the record just read; false to retry after a lost CAS, or when exhausted. */
  private takeReserved(key: usize, keyLen: usize, now: u64): bool {
    const v = this.view;
    const l = this.limits;
    l.slots = v.slots;
    l.ratePerMinute = v.ratePerMinute;
    l.burst = v.burst;
    if (!l.unlimited) {
      const r = takeSlot(v.livePtr, l, now, this.slotLeaseMs);
      this.inFlight = takeInfo.inFlight;
      if (r != Acquire.Admitted) {
        this.why = r == Acquire.NoSlot ? Why.NoSlot : Why.NoToken;
        this.retryAfterMs = r == Acquire.NoToken ? takeInfo.retryAfterMs : 0;
        return true; // a verdict, not a retry: the caller sees admitted == false
      }
      if (setSharedData(key, keyLen, v.ptr, v.len, returned.cas) != WasmResult.Ok) {
        this.why = Why.Contended;
        return false;
      }
      this.holding = Holding.UserSlot;
    }
    this.admitted = true;
    this.routePtr = v.addressPtr;
    this.routeLen = v.addressLen;
    return true;
  }

  /** Policy of an exhausted (or contended) reservation, from the record or the defaults. */
  private exhausted(): void {
    const v = this.view;
    if (this.admitted) return;
    this.action = v.onExhausted != 0 ? <Action>v.onExhausted : this.defaultAction;
    this.maxWaitMs = v.maxQueueWaitMs != 0 ? v.maxQueueWaitMs : this.defaultMaxWaitMs;
    this.priority = v.priority;
    if (v.fallbackLen > 0) {
      this.fallbackPtr = v.fallbackPtr;
      this.fallbackLen = v.fallbackLen;
    } else {
      this.fallbackPtr = this.defaultFallbackPtr;
      this.fallbackLen = this.defaultFallbackLen;
    }
  }

  private attemptUnreserved(now: u64): void {
    const l = this.limits;
    l.slots = this.poolSlots;
    l.ratePerMinute = this.poolRatePerMinute;
    l.burst = this.poolBurst;
    this.why = Why.NoReservation;
    if (!l.unlimited) {
      const r = acquireKey(this.poolKeyPtr, this.poolKeyLen, l, now, this.slotLeaseMs);
      this.inFlight = takeInfo.inFlight;
      if (r != Acquire.Admitted) {
        this.why = r == Acquire.NoSlot ? Why.NoSlot : r == Acquire.NoToken ? Why.NoToken : Why.Contended;
        this.retryAfterMs = r == Acquire.NoToken ? takeInfo.retryAfterMs : 0;
        this.action = this.poolAction;
        this.maxWaitMs = this.poolMaxWaitMs;
        this.priority = this.poolPriority;
        this.fallbackPtr = this.poolFallbackPtr;
        this.fallbackLen = this.poolFallbackLen;
        return;
      }
      this.holding = Holding.PoolSlot;
    }
    this.admitted = true;
    this.routePtr = this.poolRoutePtr;
    this.routeLen = this.poolRouteLen;
  }
}

/** Gives a user's slot back to their record; false when the record stayed contended. */
export function releaseUserSlot(keys: UserKeys, user: usize, userLen: usize): bool {
  return releaseRecordSlot(keys.buf, keys.build(KIND_RESERVATION, user, userLen));
}

/** Gives a slot back to the record under `key`; false when the record stayed contended. */
export function releaseRecordSlot(key: usize, keyLen: usize): bool {
  const view = releaseView;
  for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
    if (getSharedData(key, keyLen) != WasmResult.Ok) return true;
    // Withdrawn or replaced by something unreadable: the slot went with the reservation.
    if (decodeRecord(returned.ptr, returned.len, view) != RecordStatus.Valid) return true;
    if (!giveSlot(view.livePtr)) return true;
    if (setSharedData(key, keyLen, view.ptr, view.len, returned.cas) == WasmResult.Ok) return true;
  }
  return false;
}

const releaseView = new ReservationView();
