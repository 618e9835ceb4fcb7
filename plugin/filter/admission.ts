// One admission attempt for a stream: look the user's reservation up in shared data, then take
// a slot and a token from the user's live counters (or the unreserved pool's). Leaves the verdict
// in the Admission's fields; the filter root acts on it. Host calls: 1 get for the record, plus
// a get and a set per CAS attempt when the reservation limits concurrency or rate.
import { getSharedData } from '../abi/shared_data';
import { returned } from '../abi/hostcalls';
import { WasmResult } from '../abi/types';
import { Action, Config } from '../config/config';
import { KIND_LIVE, KIND_RESERVATION, Keys } from '../plan/keys';
import { Acquire, Limits, acquire, acquireInfo } from '../plan/live';
import { RecordStatus, ReservationView, decodeRecord } from '../plan/record';
import { Holding, Stream } from './stream';

export const enum Why {
  None = 0,
  NoReservation = 1,
  NoSlot = 2,
  NoToken = 3,
  Contended = 4,
}

export class Admission {
  readonly config: Config;
  readonly keys: Keys;
  private readonly view: ReservationView = new ReservationView();
  private readonly limits: Limits = new Limits();

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
    this.config = config;
    this.keys = keys;
  }

  attempt(s: Stream, now: u64): void {
    this.admitted = false;
    this.reserved = false;
    this.invalidRecord = false;
    this.holding = Holding.None;
    this.why = Why.None;
    this.retryAfterMs = 0;
    this.inFlight = 0;
    if (s.userLen > 0 && this.lookup(s, now)) this.attemptReserved(s, now);
    else this.attemptUnreserved(now);
  }

  /** Reads the user's record; true when a reservation applies now. */
  private lookup(s: Stream, now: u64): bool {
    const keyLen = this.keys.user(KIND_RESERVATION, s.user, s.userLen);
    if (getSharedData(this.keys.buf, keyLen) != WasmResult.Ok) return false;
    const status = decodeRecord(returned.ptr, returned.len, this.view);
    if (status == RecordStatus.Invalid) this.invalidRecord = true;
    return status == RecordStatus.Valid && this.view.activeAt(now);
  }

  private attemptReserved(s: Stream, now: u64): void {
    const v = this.view;
    const d = this.config.defaults;
    this.reserved = true;
    this.limits.slots = v.slots;
    this.limits.ratePerMinute = v.ratePerMinute;
    this.limits.burst = v.burst;
    if (this.take(KIND_LIVE, s, now, Holding.UserSlot)) {
      this.routePtr = v.addressPtr;
      this.routeLen = v.addressLen;
      return;
    }
    this.action = v.onExhausted != 0 ? <Action>v.onExhausted : d.onExhausted;
    this.maxWaitMs = v.maxQueueWaitMs != 0 ? v.maxQueueWaitMs : d.maxQueueWaitMs;
    this.priority = v.priority;
    if (v.fallbackLen > 0) {
      this.fallbackPtr = v.fallbackPtr;
      this.fallbackLen = v.fallbackLen;
    } else {
      this.fallbackPtr = d.fallback.ptr;
      this.fallbackLen = d.fallback.len;
    }
  }

  private attemptUnreserved(now: u64): void {
    const u = this.config.unreserved;
    this.limits.slots = u.slots;
    this.limits.ratePerMinute = u.ratePerMinute;
    this.limits.burst = u.burst;
    this.why = Why.NoReservation;
    if (this.takePool(now)) {
      this.routePtr = u.route.ptr;
      this.routeLen = u.route.len;
      return;
    }
    this.action = u.onExhausted;
    this.maxWaitMs = u.maxQueueWaitMs;
    this.priority = u.priority;
    this.fallbackPtr = u.fallback.ptr;
    this.fallbackLen = u.fallback.len;
  }

  private take(kind: u8, s: Stream, now: u64, holding: Holding): bool {
    if (this.limits.unlimited) {
      this.admitted = true;
      return true;
    }
    const keyLen = this.keys.user(kind, s.user, s.userLen);
    return this.settle(acquire(this.keys.buf, keyLen, this.limits, now, this.config.slotLeaseMs), holding);
  }

  private takePool(now: u64): bool {
    if (this.limits.unlimited) {
      this.admitted = true;
      return true;
    }
    const k = this.keys.pool;
    return this.settle(acquire(k.ptr, k.len, this.limits, now, this.config.slotLeaseMs), Holding.PoolSlot);
  }

  private settle(r: Acquire, holding: Holding): bool {
    this.inFlight = acquireInfo.inFlight;
    if (r == Acquire.Admitted) {
      this.admitted = true;
      this.holding = holding;
      return true;
    }
    if (r == Acquire.NoSlot) this.why = Why.NoSlot;
    else if (r == Acquire.NoToken) {
      this.why = Why.NoToken;
      this.retryAfterMs = acquireInfo.retryAfterMs;
    } else this.why = Why.Contended;
    return false;
  }
}
