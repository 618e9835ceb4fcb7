// What happens to a request: identity, plan freshness, reservation, then admit / queue /
// redirect / reject, and giving slots back when the stream ends however it ends. The admitted
// path makes 4 host calls in on_request_headers (identity, record get, record set, routing
// header) and 2 when the stream ends (record get + set); no allocation, no logging. The clock is
// the one cached at the last tick (FilterState.clockMs); waits are measured with a fresh reading.
import {
  continueStream,
  log,
  logEnabled,
  nowMs,
  removeHeader,
  replaceRequestHeader,
  setEffectiveContext,
} from '../abi/hostcalls';
import { FilterHeadersStatus, HeaderMapType, LogLevel, StreamType } from '../abi/types';
import { Action, FailMode } from '../config/config';
import { Blob, EMPTY } from '../lib/bytes';
import { releaseKey } from '../plan/live';
import { Why, releaseRecordSlot } from './admission';
import { IdentityResult, readIdentity } from './identity';
import { Refusal } from './local_reply';
import { Counter } from './metrics';
import { FilterState, HotSettings } from './state';
import { Holding, MAX_FALLBACK, Stream } from './stream';
import * as U from './usage';
import { flushUsage } from './usage_flush';

const CONTINUE: u32 = FilterHeadersStatus.Continue;
const PAUSE: u32 = FilterHeadersStatus.StopIteration;

export function onRequestHeaders(st: FilterState, s: Stream): u32 {
  const now = st.clockMs;
  st.metrics.count(Counter.Requests);
  if (readIdentity(st.hot, st.userKeys, s) != IdentityResult.Found) {
    st.metrics.count(Counter.IdentityMissing);
  }
  s.decided = true;
  const e = usageEntry(st, s, now);
  if (e >= 0) st.usage.add32(e, U.C_REQUESTS, 1);
  if (!st.plan.usable(now)) return failMode(st, s);
  const a = st.admission;
  a.attempt(s, now);
  if (a.invalidRecord) st.metrics.count(Counter.RecordsInvalid);
  s.reserved = a.reserved;
  if (e >= 0 && !a.reserved) st.usage.add32(e, U.C_UNRESERVED, 1);
  return act(st, s, now);
}

/** Acts on the admission verdict for a stream in on_request_headers; returns the filter status. */
function act(st: FilterState, s: Stream, now: u64): u32 {
  const a = st.admission;
  if (a.admitted) {
    admit(st, s, now);
    return CONTINUE;
  }
  if (a.action == Action.TopUp) {
    st.metrics.count(Counter.Shortfall);
    const e = usageEntry(st, s, now);
    if (e >= 0) st.usage.add32(e, U.C_SHORTFALL, 1);
  }
  if (a.action == Action.Queue || a.action == Action.TopUp) {
    if (a.maxWaitMs > 0) {
      if (enqueue(st, s, now)) return PAUSE;
      return giveUp(st, s, now, Refusal.QueueFull, a.fallbackPtr, a.fallbackLen);
    }
    const why = a.reserved ? Refusal.ReservationExhausted : Refusal.NoReservation;
    return giveUp(st, s, now, why, a.fallbackPtr, a.fallbackLen);
  }
  if (a.action == Action.Redirect && a.fallbackLen > 0) {
    redirect(st, s, now, a.fallbackPtr, a.fallbackLen);
    return CONTINUE;
  }
  reject(st, s, now, a.reserved ? Refusal.ReservationExhausted : Refusal.NoReservation);
  return PAUSE;
}

/**
 * One line per decision when Envoy's wasm log level is trace. Callers check tracing() first, so
 * the request path neither builds nor passes strings otherwise.
 */
function tracing(): bool {
  return logEnabled(LogLevel.Trace);
}

function trace(s: Stream, decision: string, targetPtr: usize, targetLen: usize): void {
  const user = s.userLen > 0 ? String.UTF8.decodeUnsafe(s.user, s.userLen) : '(no identity)';
  const target = targetLen > 0 ? ' -> ' + String.UTF8.decodeUnsafe(targetPtr, targetLen) : '';
  log(LogLevel.Trace, 'earmark: ' + user + ': ' + decision + target);
}

export function admit(st: FilterState, s: Stream, now: u64): void {
  const a = st.admission;
  if (tracing()) trace(s, a.reserved ? 'admitted' : 'unreserved, admitted', a.routePtr, a.routeLen);
  const h = st.hot;
  s.holding = a.holding;
  if (a.routeLen > 0) replaceRequestHeader(h.routingHeaderPtr, h.routingHeaderLen, a.routePtr, a.routeLen);
  else removeHeader(HeaderMapType.RequestHeaders, h.routingHeaderPtr, h.routingHeaderLen);
  if (a.reserved) decisionHeader(h, h.admittedPtr, h.admittedLen);
  else decisionHeader(h, h.unreservedPtr, h.unreservedLen);
  st.metrics.count(a.reserved ? Counter.Admitted : Counter.UnreservedAdmitted);
  const e = usageEntry(st, s, now);
  if (e >= 0) {
    if (a.reserved) st.usage.add32(e, U.C_ADMITTED, 1);
    st.usage.max32(e, U.C_PEAK, a.inFlight);
  }
}

function decisionHeader(h: HotSettings, valuePtr: usize, valueLen: usize): void {
  if (h.decisionHeaderLen > 0)
    replaceRequestHeader(h.decisionHeaderPtr, h.decisionHeaderLen, valuePtr, valueLen);
}

function redirect(st: FilterState, s: Stream, now: u64, targetPtr: usize, targetLen: usize): void {
  if (tracing()) trace(s, 'redirected', targetPtr, targetLen);
  const h = st.hot;
  replaceRequestHeader(h.routingHeaderPtr, h.routingHeaderLen, targetPtr, targetLen);
  decisionHeader(h, h.redirectedPtr, h.redirectedLen);
  st.metrics.count(Counter.Redirected);
  const e = usageEntry(st, s, now);
  if (e >= 0) st.usage.add32(e, U.C_REDIRECTED, 1);
}

function reject(st: FilterState, s: Stream, now: u64, why: Refusal): void {
  if (tracing()) trace(s, 'rejected', 0, 0);
  const a = st.admission;
  let retryS = <u64>st.config.reject.retryAfterS;
  if (a.why == Why.NoToken && a.retryAfterMs > 0) retryS = (a.retryAfterMs + 999) / 1000;
  st.replies.send(st.config.reject.status, why, retryS);
  s.replied = true;
  st.metrics.count(Counter.Rejected);
  const e = usageEntry(st, s, now);
  if (e >= 0) st.usage.add32(e, U.C_THROTTLED, 1);
}

/** No admission: the fallback when there is one, a local reply otherwise. */
export function giveUp(
  st: FilterState,
  s: Stream,
  now: u64,
  why: Refusal,
  fallbackPtr: usize,
  fallbackLen: usize,
): u32 {
  if (fallbackLen > 0) {
    redirect(st, s, now, fallbackPtr, fallbackLen);
    return CONTINUE;
  }
  reject(st, s, now, why);
  return PAUSE;
}

export function failMode(st: FilterState, s: Stream): u32 {
  const h = st.hot;
  if (tracing()) trace(s, h.failClosed ? 'plan unavailable, 503' : 'plan unavailable, default route', 0, 0);
  if (h.failClosed) {
    st.replies.send(503, Refusal.PlanUnavailable, <u64>st.config.reject.retryAfterS);
    s.replied = true;
    st.metrics.count(Counter.FailClosed);
    return PAUSE;
  }
  removeHeader(HeaderMapType.RequestHeaders, h.routingHeaderPtr, h.routingHeaderLen);
  decisionHeader(h, h.failOpenPtr, h.failOpenLen);
  st.metrics.count(Counter.FailOpen);
  return CONTINUE;
}

function enqueue(st: FilterState, s: Stream, cachedNow: u64): bool {
  if (tracing()) trace(s, 'queued', 0, 0);
  const now = nowMs(); // the wait is measured and bounded precisely: queueing is off the hot path
  if (now > cachedNow) st.clockMs = now;
  const a = st.admission;
  const q = st.queue;
  if (q.full) {
    const last = q.last()!;
    st.metrics.count(Counter.QueueOverflows);
    if (last.priority >= a.priority) return false;
    // Make room for a more important request: the least important waiter gives up now.
    q.removeAt(q.count - 1);
    leaveQueue(st, last, now);
    evictStream(st, last, now, s.contextId);
  }
  q.push(s, a.priority);
  const fb = a.fallbackLen > MAX_FALLBACK ? MAX_FALLBACK : a.fallbackLen;
  memory.copy(s.fallback, a.fallbackPtr, fb);
  s.fallbackLen = fb;
  s.enqueuedMs = now;
  s.deadlineMs = now + <u64>a.maxWaitMs;
  st.metrics.count(Counter.Queued);
  const e = usageEntry(st, s, now);
  if (e >= 0) st.usage.add32(e, U.C_QUEUED, 1);
  return true;
}

/** Accounts for the time a stream spent queued (it was just removed from the queue). */
export function leaveQueue(st: FilterState, s: Stream, now: u64): void {
  const waited = now > s.enqueuedMs ? now - s.enqueuedMs : 0;
  st.metrics.queueWait(waited);
  const e = usageEntry(st, s, now);
  if (e >= 0) {
    st.usage.add64(e, U.C_QUEUE_WAIT, waited);
    st.usage.max32(e, U.C_QUEUE_WAIT_MAX, <u32>(waited > 0xffffffff ? 0xffffffff : waited));
  }
}

/**
 * Finishes a paused stream from outside its own callbacks (tick, another stream's end): admit it
 * if the last attempt did, give up otherwise; then resume it unless it got a local reply.
 * `home` is the context to make effective again afterwards.
 */
export function resumeStream(st: FilterState, s: Stream, now: u64, why: Refusal, home: u32): void {
  setEffectiveContext(s.contextId);
  let status = CONTINUE;
  if (st.admission.admitted) {
    admit(st, s, now);
    st.metrics.count(Counter.Dequeued);
  } else {
    status = giveUp(st, s, now, why, st.admission.fallbackPtr, st.admission.fallbackLen);
  }
  if (status == CONTINUE) continueStream(StreamType.Request);
  setEffectiveContext(home);
}

/** Gives up on a queued stream that was evicted by a more important one, without a new attempt. */
function evictStream(st: FilterState, s: Stream, now: u64, home: u32): void {
  setEffectiveContext(s.contextId);
  if (giveUp(st, s, now, Refusal.QueueFull, s.fallback, s.fallbackLen) == CONTINUE)
    continueStream(StreamType.Request);
  setEffectiveContext(home);
}

/** Resumes a paused stream under the fail mode (plan unavailable while it waited). */
export function failQueued(st: FilterState, s: Stream, home: u32): void {
  setEffectiveContext(s.contextId);
  if (failMode(st, s) == CONTINUE) continueStream(StreamType.Request);
  setEffectiveContext(home);
}

/** The stream ended (completed, reset, or local reply). Returns what it held, now given back. */
export function endStream(st: FilterState, s: Stream, now: u64): Holding {
  if (s.queued) {
    st.queue.remove(s);
    leaveQueue(st, s, now);
  }
  const held = s.holding;
  if (held != Holding.None) {
    const ok =
      held == Holding.UserSlot
        ? releaseRecordSlot(s.key, s.keyHead + s.userLen)
        : releaseKey(st.keys.pool.ptr, st.keys.pool.len);
    if (!ok) {
      // Contended beyond the retry budget: keep the debt and pay it on tick, never drop it.
      st.pendingReleases.push(held == Holding.UserSlot ? Blob.copyOf(s.user, s.userLen) : EMPTY);
      st.metrics.count(Counter.ReleaseDeferred);
    }
    s.holding = Holding.None;
  }
  if (s.userLen > 0 && (s.bytesIn | s.bytesOut) != 0) {
    const e = usageEntry(st, s, now);
    if (e >= 0) {
      st.usage.add64(e, U.C_BYTES_IN, s.bytesIn);
      st.usage.add64(e, U.C_BYTES_OUT, s.bytesOut);
    }
    s.bytesIn = 0;
    s.bytesOut = 0;
  }
  return held;
}

/** The usage entry of the stream's user (-1 for anonymous requests or a full table). */
export function usageEntry(st: FilterState, s: Stream, now: u64): i32 {
  if (s.userLen == 0) return -1;
  const u = st.usage;
  if (s.usageEntry >= 0 && s.usageGen == u.gen) return s.usageEntry;
  let e = u.find(s.user, s.userLen, s.userHash);
  if (e < 0) {
    flushUsage(st, now);
    e = u.find(s.user, s.userLen, s.userHash);
  }
  s.usageEntry = e;
  s.usageGen = u.gen;
  return e;
}
