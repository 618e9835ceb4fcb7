// Live counters: per user (key prefix + "l/" + user) and for the unreserved pool (prefix +
// "pool"), the in-flight requests and a token bucket, shared by every worker of the proxy and
// updated with compare-and-swap. Layout (24 bytes, little-endian):
//
//   0 u32 in_flight   4 u32 reserved (0)   8 u64 tokens (1/60000 token units)   16 u64 updated_ms
//
// Tokens are kept in 1/60000ths so that refilling `rate_per_minute` tokens per minute is exact
// integer arithmetic: elapsed_ms * rate_per_minute units. A request costs 60000 units.
import { CAS_CREATE_ONLY, getSharedData, setSharedData } from '../abi/shared_data';
import { returned } from '../abi/hostcalls';
import { WasmResult } from '../abi/types';

export const LIVE_BYTES: usize = 24;
export const TOKEN_UNIT: u64 = 60000;
/** Attempts before giving up on a contended key (each costs a get and a set). */
export const MAX_CAS_ATTEMPTS: i32 = 4;

export const enum Acquire {
  Admitted = 0,
  NoSlot = 1,
  NoToken = 2,
  Contended = 3,
}

export class Limits {
  slots: u32 = 0;
  ratePerMinute: u32 = 0;
  burst: u32 = 0;

  /** True when neither concurrency nor rate is limited: no live record is needed. */
  get unlimited(): bool {
    return this.slots == 0 && this.ratePerMinute == 0;
  }
}

const rec: usize = memory.data(<i32>LIVE_BYTES, 8);

/** After an acquire: the in-flight count it left (for peak usage) and the wait for a token. */
export class AcquireInfo {
  inFlight: u32 = 0;
  retryAfterMs: u64 = 0;
}
export const acquireInfo = new AcquireInfo();

function bucketCap(l: Limits): u64 {
  const burst = l.burst != 0 ? l.burst : l.slots != 0 ? l.slots : 1;
  return <u64>burst * TOKEN_UNIT;
}

/** Loads the record at returned.ptr (or a fresh one), refilled to `now`. */
function loadLive(found: bool, l: Limits, now: u64, leaseMs: u64): void {
  if (!found || returned.len != LIVE_BYTES) {
    store<u32>(rec, 0);
    store<u32>(rec, 0, 4);
    store<u64>(rec, bucketCap(l), 8);
    store<u64>(rec, now, 16);
    return;
  }
  memory.copy(rec, returned.ptr, LIVE_BYTES);
  const updated = load<u64>(rec, 16);
  const elapsed = now > updated ? now - updated : 0;
  // A VM that died holding slots never releases them: a record untouched for a whole lease
  // cannot have requests in flight that anyone still accounts for.
  if (leaseMs != 0 && elapsed > leaseMs) store<u32>(rec, 0);
  if (l.ratePerMinute != 0) {
    const cap = bucketCap(l);
    let tokens = load<u64>(rec, 8) + elapsed * <u64>l.ratePerMinute;
    if (tokens > cap) tokens = cap;
    store<u64>(rec, tokens, 8);
  }
  store<u64>(rec, now, 16);
}

/** Takes a slot and a token, or reports which is missing. At most 2 * MAX_CAS_ATTEMPTS host calls. */
export function acquire(keyPtr: usize, keyLen: usize, l: Limits, now: u64, leaseMs: u64): Acquire {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const got = getSharedData(keyPtr, keyLen);
    const found = got == WasmResult.Ok;
    const cas = found ? returned.cas : CAS_CREATE_ONLY;
    loadLive(found, l, now, leaseMs);
    const inFlight = load<u32>(rec);
    if (l.slots != 0 && inFlight >= l.slots) {
      acquireInfo.inFlight = inFlight;
      return Acquire.NoSlot;
    }
    if (l.ratePerMinute != 0) {
      const tokens = load<u64>(rec, 8);
      if (tokens < TOKEN_UNIT) {
        const rate = <u64>l.ratePerMinute;
        acquireInfo.retryAfterMs = (TOKEN_UNIT - tokens + rate - 1) / rate;
        acquireInfo.inFlight = inFlight;
        return Acquire.NoToken;
      }
      store<u64>(rec, tokens - TOKEN_UNIT, 8);
    }
    store<u32>(rec, inFlight + 1);
    if (setSharedData(keyPtr, keyLen, rec, LIVE_BYTES, cas) == WasmResult.Ok) {
      acquireInfo.inFlight = inFlight + 1;
      return Acquire.Admitted;
    }
  }
  return Acquire.Contended;
}

/** Gives a slot back. False when the key stayed contended (the caller retries later). */
export function release(keyPtr: usize, keyLen: usize, now: u64): bool {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    if (getSharedData(keyPtr, keyLen) != WasmResult.Ok || returned.len != LIVE_BYTES) return true;
    const cas = returned.cas;
    memory.copy(rec, returned.ptr, LIVE_BYTES);
    const inFlight = load<u32>(rec);
    if (inFlight == 0) return true; // already reset by a lease expiry: nothing to give back
    store<u32>(rec, inFlight - 1);
    // updated_ms is left alone: refill is computed from it and only acquire refills.
    if (setSharedData(keyPtr, keyLen, rec, LIVE_BYTES, cas) == WasmResult.Ok) return true;
  }
  return false;
}

/** Creates a live record if absent (the sync root does this when a reservation arrives). */
export function ensureLive(keyPtr: usize, keyLen: usize, l: Limits, now: u64): void {
  if (getSharedData(keyPtr, keyLen) == WasmResult.Ok) return;
  loadLive(false, l, now, 0);
  setSharedData(keyPtr, keyLen, rec, LIVE_BYTES, CAS_CREATE_ONLY);
}
