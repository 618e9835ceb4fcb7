// Live counters: the in-flight requests and the token bucket of one reservation (inside the
// user's record, record.ts) or of the unreserved pool (its own key, prefix + "pool"). Shared by
// every worker of the proxy and updated with compare-and-swap. Layout (24 bytes, little-endian):
//
//   0 u32 in_flight   4 u32 0   8 u64 tokens (1/60000 token units)   16 u64 updated_ms
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

@unmanaged
export class Limits {
  slots: u32 = 0;
  ratePerMinute: u32 = 0;
  burst: u32 = 0;

  /** True when neither concurrency nor rate is limited: the counters need not be touched. */
  get unlimited(): bool {
    return this.slots == 0 && this.ratePerMinute == 0;
  }

  /** Bucket size in token units: burst, or slots when burst is 0 (proto: "0 = slots"), at least 1. */
  get capacity(): u64 {
    const burst = this.burst != 0 ? this.burst : this.slots != 0 ? this.slots : 1;
    return <u64>burst * TOKEN_UNIT;
  }
}

/** After a take: the in-flight count it left (for peak usage) and the wait for the next token. */
@unmanaged
export class TakeInfo {
  inFlight: u32 = 0;
  retryAfterMs: u64 = 0;
}
export const takeInfo = new TakeInfo();

/** Fresh counters: nothing in flight, a full bucket. */
export function initLive(live: usize, l: Limits, now: u64): void {
  store<u32>(live, 0);
  store<u32>(live, 0, 4);
  store<u64>(live, l.capacity, 8);
  store<u64>(live, now, 16);
}

/**
 * Takes a slot and a token in place, refilling the bucket up to `now` first; returns what is
 * missing otherwise (the counters are then left as they were, nothing to write).
 */
export function takeSlot(live: usize, l: Limits, now: u64, leaseMs: u64): Acquire {
  const updated = load<u64>(live, 16);
  const elapsed = now > updated ? now - updated : 0;
  let inFlight = load<u32>(live);
  // A VM that died holding slots never releases them: counters untouched for a whole lease
  // cannot have requests in flight that anyone still accounts for.
  if (leaseMs != 0 && elapsed > leaseMs) inFlight = 0;
  takeInfo.inFlight = inFlight;
  if (l.slots != 0 && inFlight >= l.slots) return Acquire.NoSlot;
  let tokens = load<u64>(live, 8);
  if (l.ratePerMinute != 0) {
    const cap = l.capacity;
    tokens += elapsed * <u64>l.ratePerMinute;
    if (tokens > cap) tokens = cap;
    if (tokens < TOKEN_UNIT) {
      const rate = <u64>l.ratePerMinute;
      takeInfo.retryAfterMs = (TOKEN_UNIT - tokens + rate - 1) / rate;
      return Acquire.NoToken;
    }
    tokens -= TOKEN_UNIT;
  }
  store<u32>(live, inFlight + 1);
  store<u64>(live, tokens, 8);
  store<u64>(live, now, 16);
  takeInfo.inFlight = inFlight + 1;
  return Acquire.Admitted;
}

/** Gives a slot back in place; false when there was none to give (reset by a lease expiry). */
export function giveSlot(live: usize): bool {
  const inFlight = load<u32>(live);
  if (inFlight == 0) return false;
  store<u32>(live, inFlight - 1);
  return true;
}

const pool: usize = memory.data(<i32>LIVE_BYTES, 8);

/** Takes a slot from counters kept under their own key (the unreserved pool). */
export function acquireKey(keyPtr: usize, keyLen: usize, l: Limits, now: u64, leaseMs: u64): Acquire {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    let cas = CAS_CREATE_ONLY;
    if (getSharedData(keyPtr, keyLen) == WasmResult.Ok && returned.len == LIVE_BYTES) {
      cas = returned.cas;
      memory.copy(pool, returned.ptr, LIVE_BYTES);
    } else {
      if (returned.len != 0) cas = returned.cas; // present but unreadable: overwrite it
      initLive(pool, l, now);
    }
    const r = takeSlot(pool, l, now, leaseMs);
    if (r != Acquire.Admitted) return r;
    if (setSharedData(keyPtr, keyLen, pool, LIVE_BYTES, cas) == WasmResult.Ok) return Acquire.Admitted;
  }
  return Acquire.Contended;
}

/** Gives a slot back to counters under their own key. False when the key stayed contended. */
export function releaseKey(keyPtr: usize, keyLen: usize): bool {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    if (getSharedData(keyPtr, keyLen) != WasmResult.Ok || returned.len != LIVE_BYTES) return true;
    if (!giveSlot(returned.ptr)) return true;
    if (setSharedData(keyPtr, keyLen, returned.ptr, LIVE_BYTES, returned.cas) == WasmResult.Ok) return true;
  }
  return false;
}
