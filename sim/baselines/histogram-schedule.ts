/**
 * The hybrid histogram policy (idle-histogram.ts) as reservation changes the baseline replay applies
 * (replay.ts). Causal by construction: every change at time t is decided from requests before t.
 *   - On a function's first request of a minute it holds its sizing (the sandbox the request made
 *     is adopted, the rest warm up) until the minute ends: the function is loaded while it runs.
 *   - When an active minute ends, its idle time goes into the histogram and the windows are read:
 *     pre-warm 0 → keep holding until the window ends; else release, and hold again from the
 *     pre-warm point (the warm-up lead before that minute) until the window ends.
 *   - Sizing: while holding on, the peak in flight of the last few minutes (decaying to 1, as a
 *     per-sandbox keep-alive would); when pre-warming, the largest peak of the last few restart
 *     minutes (active minutes after a quiet one).
 * Minutes before the replay are history: the histogram learns from them and the state at the
 * replay's start becomes its first change.
 */
import type { PeakProfile, ReservationChange } from './demand-profile';
import { quantile } from '../quantile';
import { IdleHistogram, type HistogramPolicyConfig, type HoldWindow } from './idle-histogram';

const MINUTE = 60_000;

export interface HistogramScheduleInput {
  users: number;
  /** Epoch ms of trace minute 0. */
  startMs: number;
  /** Minutes [replayFrom, toMinute) are replayed; the minutes before them are history. */
  replayFrom: number;
  toMinute: number;
  leadMs: number;
  /** Requests of user u in minute m. */
  count(u: number, m: number): number;
  /** Ms into minute m of user u's first request there (asked only for active replayed minutes). */
  firstOffsetMs(u: number, m: number): number;
  /** Peak in flight per user and minute from trace minute 0 (need.from must be 0). */
  need: PeakProfile;
  /** Memory one sandbox of user u holds, MB (for the hit-per-GB-hour rule). */
  memoryMb(u: number): number;
}

export function histogramSchedule(x: HistogramScheduleInput, c: HistogramPolicyConfig): ReservationChange[] {
  if (x.need.from !== 0 || x.need.minutes < x.toMinute)
    throw new Error('histogramSchedule: the need profile must cover minutes 0..toMinute');
  const out: ReservationChange[] = [];
  for (let u = 0; u < x.users; u++) out.push(...userSchedule(x, c, u));
  return out.sort((a, b) => a.atMs - b.atMs || a.user - b.user);
}

function userSchedule(x: HistogramScheduleInput, c: HistogramPolicyConfig, u: number): ReservationChange[] {
  const t0 = x.startMs + x.replayFrom * MINUTE;
  const end = x.startMs + x.toMinute * MINUTE;
  const need = (m: number) => x.need.need[u * x.need.minutes + m];
  const hist = new IdleHistogram(c.rangeMinutes);
  const recent: { m: number; peak: number }[] = [];
  const restarts: number[] = [];
  const trailing = (m: number) => {
    let s = 1;
    for (const r of recent) if (r.m > m - c.sizingWindowMin) s = Math.max(s, r.peak);
    return s;
  };
  const gb = x.memoryMb(u) / 1024;
  // Past histogram windows and how many the next active minute fell into (a prior of 1 in 2).
  let windows = 2;
  let hits = 1;
  let open: HoldWindow | undefined;
  let last = -1;
  let level = 0;
  let atStart = 0;
  let pending: { atMs: number; slots: number }[] = [];
  const out: ReservationChange[] = [];
  const emit = (atMs: number, slots: number) => {
    if (slots === level) return;
    level = slots;
    if (atMs <= t0) atStart = slots;
    else if (atMs < end) out.push({ atMs, user: u, slots });
  };
  const flushBefore = (t: number) => {
    while (pending.length > 0 && pending[0].atMs < t) {
      const p = pending.shift()!;
      emit(p.atMs, p.slots);
    }
  };
  for (let m = 0; m < x.toMinute; m++) {
    if (x.count(u, m) <= 0) continue;
    const minuteMs = x.startMs + m * MINUTE;
    const first = minuteMs + (m >= x.replayFrom ? x.firstOffsetMs(u, m) : 0) + 1;
    const restart = last >= 0 && m - last > 1;
    const restartPeak = quantileOf(restarts, c.restartQuantile);
    flushBefore(first);
    pending = [];
    emit(first, Math.max(level, restart ? restartPeak : trailing(m - 1)));
    if (last >= 0) {
      const idle = m - last - 1;
      hist.add(idle);
      if (open) {
        windows++;
        if (idle >= open.prewarmMin && idle < open.untilMin) hits++;
      }
    }
    last = m;
    recent.push({ m, peak: need(m) });
    while (recent.length > 0 && recent[0].m <= m - c.sizingWindowMin) recent.shift();
    if (restart) {
      restarts.push(need(m));
      if (restarts.length > c.restartSamples) restarts.shift();
    }
    const done = minuteMs + MINUTE;
    let w = hist.window(c);
    open = w.representative ? w : undefined;
    const widthH = (w.untilMin - w.prewarmMin) / 60;
    if (open && c.minHitsPerGbHour > 0 && hits / windows < c.minHitsPerGbHour * gb * widthH)
      w = { representative: false, prewarmMin: 0, untilMin: c.fallbackKeepAliveMin };
    const until = done + w.untilMin * MINUTE;
    const prewarm = done + w.prewarmMin * MINUTE - x.leadMs;
    if (prewarm <= done) {
      // Hold on, the sizing decaying minute by minute as the last peaks age.
      emit(done, trailing(m));
      for (let j = 1; j <= c.sizingWindowMin && done + j * MINUTE < until; j++)
        pending.push({ atMs: done + j * MINUTE, slots: trailing(m + j) });
    } else {
      emit(done, 0);
      pending.push({ atMs: prewarm, slots: quantileOf(restarts, c.restartQuantile) });
    }
    pending.push({ atMs: until, slots: 0 });
  }
  flushBefore(Infinity);
  return atStart > 0 ? [{ atMs: t0, user: u, slots: atStart }, ...out] : out;
}

/** Nearest-rank quantile of a few peaks, at least 1. */
const quantileOf = (xs: readonly number[], q: number): number =>
  Math.max(
    1,
    quantile(
      [...xs].sort((a, b) => a - b),
      q,
    ),
  );
