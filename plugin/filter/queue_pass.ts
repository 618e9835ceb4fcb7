// Walking the wait queue: on tick, and when a stream of this worker gives a slot back. Waiters
// are tried in priority order; each try is a fresh admission attempt (the plan may have changed:
// a top-up may have granted more). Tries per pass are bounded by queue.retries_per_tick; expired
// waiters always get their last try and then their fallback or a 429.
import { Refusal } from './local_reply';
import { Counter } from './metrics';
import { failQueued, leaveQueue, resumeStream } from './request_path';
import { FilterState } from './state';
import { Holding, Stream } from './stream';
import { bytesEqual } from '../lib/bytes';
import { scratchMark, scratchRelease } from '../abi/memory';

function waitsFor(s: Stream, freed: Holding, user: usize, userLen: usize): bool {
  if (freed == Holding.PoolSlot) return !s.reserved;
  return s.reserved && bytesEqual(s.user, s.userLen, user, userLen);
}

/**
 * One pass. `freed` narrows the pass to waiters that the slot just given back can serve
 * (Holding.None = everyone, on tick). `home` is the calling context, made effective again after.
 */
export function queuePass(
  st: FilterState,
  now: u64,
  freed: Holding,
  user: usize,
  userLen: usize,
  home: u32,
): void {
  const q = st.queue;
  const a = st.admission;
  let budget = st.config.queue.retriesPerTick;
  let i = 0;
  while (i < q.count) {
    const s = q.at(i);
    const expired = now >= s.deadlineMs;
    const wanted = freed == Holding.None || waitsFor(s, freed, user, userLen);
    if (!expired && (budget == 0 || !wanted)) {
      i++;
      continue;
    }
    if (!expired) budget--;
    const mark = scratchMark();
    a.attempt(s, now);
    if (a.admitted || expired) {
      q.removeAt(i);
      leaveQueue(st, s, now);
      if (!a.admitted) st.metrics.count(Counter.QueueTimeouts);
      resumeStream(st, s, now, Refusal.QueueTimeout, home);
    } else i++;
    scratchRelease(mark);
  }
}

/** Plan unavailable: every waiter gets the fail mode (default route or 503) now. */
export function drainUnderFailMode(st: FilterState, now: u64, home: u32): void {
  const q = st.queue;
  while (q.count > 0) {
    const s = q.removeAt(0);
    leaveQueue(st, s, now);
    failQueued(st, s, home);
  }
}
