// The filter root: one per plugin configuration on every worker VM. Validates the configuration
// at on_configure (a bad one is refused with one log line naming the field), owns the streams of
// its configuration, and on tick flushes metrics and usage, walks the wait queue and re-reads the
// plan's freshness. In embedded sync mode it also takes part in electing the worker that syncs.
import { RootContext } from '../abi/context';
import { log, nowMs, refreshLogLevel, setTickPeriod } from '../abi/hostcalls';
import { FilterDataStatus, FilterHeadersStatus, LogLevel } from '../abi/types';
import { SyncMode } from '../config/config';
import { loadConfig } from '../config/load';
import { releaseKey } from '../plan/live';
import { releaseUserSlot } from './admission';
import { EmbeddedSync } from '../sync/embedded';
import { drainUnderFailMode, queuePass } from './queue_pass';
import { endStream, onRequestHeaders } from './request_path';
import { FilterState } from './state';
import { Holding, Stream } from './stream';
import { flushUsage, flushUsageIfDue, resolveUsageQueue } from './usage_flush';

export class FilterRoot extends RootContext {
  st: FilterState | null = null;
  embedded: EmbeddedSync | null = null;

  onConfigure(configSize: u32): bool {
    refreshLogLevel();
    const loaded = loadConfig(configSize);
    if (loaded === null) return false;
    const config = loaded;
    const st = new FilterState(this.id, config);
    st.metrics.define();
    st.plan.refresh();
    st.clockMs = nowMs();
    st.usage.intervalStartMs = st.clockMs;
    const old = this.st;
    if (old !== null) this.handOver(old, st);
    // Found now, not at the first tick: a table that fills before then would drop its batch.
    resolveUsageQueue(st);
    this.st = st;
    const previous = this.embedded;
    if (previous !== null) previous.stop();
    this.embedded = null;
    if (config.hasSync && config.sync.mode == SyncMode.Embedded) {
      this.embedded = new EmbeddedSync(config, st.keys);
    }
    setTickPeriod(config.tickMs);
    log(LogLevel.Info, 'earmark: filter configured (root ' + this.rootId + ')');
    return true;
  }

  /**
   * Reconfigured in place (Envoy normally starts a new root context instead): streams in flight
   * keep their pooled state and finish under the new configuration; waiters of the old queue and
   * its usage are settled first.
   */
  private handOver(old: FilterState, st: FilterState): void {
    if (old.pool.active > 0) {
      log(
        LogLevel.Warn,
        'earmark: reconfigured with streams in flight; they finish under the new configuration',
      );
    }
    drainUnderFailMode(old, st.clockMs, this.id);
    resolveUsageQueue(old);
    flushUsage(old, st.clockMs);
    old.usage.release(); // unmanaged: ~840 KB at the defaults would leak per reconfiguration
    old.metrics.retire();
    st.pool = old.pool;
  }

  onTick(): void {
    const st = this.st;
    if (st === null) return;
    refreshLogLevel();
    const now = nowMs();
    st.clockMs = now;
    st.plan.refresh();
    const stale = st.plan.stale(now);
    const age = st.plan.appliedMs != 0 && now > st.plan.appliedMs ? now - st.plan.appliedMs : 0;
    st.metrics.plan(st.plan.generation, age, stale, st.plan.resources);
    this.retryReleases(st);
    if (st.queue.count > 0) {
      if (stale) drainUnderFailMode(st, now, this.id);
      else queuePass(st, now, Holding.None, 0, 0, this.id);
    }
    flushUsageIfDue(st, now);
    st.metrics.flush(st.queue.count);
    const e = this.embedded;
    if (e !== null) e.tick(now);
  }

  private retryReleases(st: FilterState): void {
    const p = st.pendingReleases;
    for (let i = p.length - 1; i >= 0; i--) {
      const b = p[i];
      const ok =
        b.len == 0
          ? releaseKey(st.keys.pool.ptr, st.keys.pool.len)
          : releaseUserSlot(st.keys.users, b.ptr, b.len);
      if (ok) p.splice(i, 1);
    }
  }

  onQueueReady(token: u32): void {
    const e = this.embedded;
    if (e !== null) e.onQueueReady(token);
  }
  onGrpcReceiveInitialMetadata(token: u32, headers: u32): void {
    const e = this.embedded;
    if (e !== null) e.onGrpcReceiveInitialMetadata(token, headers);
  }
  onGrpcReceive(token: u32, size: u32): void {
    const e = this.embedded;
    if (e !== null) e.onGrpcReceive(token, size, nowMs());
  }
  onGrpcClose(token: u32, status: u32): void {
    const e = this.embedded;
    if (e !== null) e.onGrpcClose(token, status, nowMs());
  }

  onDone(): bool {
    const st = this.st;
    if (st !== null) {
      const now = nowMs();
      resolveUsageQueue(st);
      flushUsage(st, now);
      st.metrics.retire();
    }
    const e = this.embedded;
    if (e !== null) e.stop();
    return true;
  }

  // Streams -------------------------------------------------------------------------------------

  onStreamCreate(contextId: u32): i32 {
    const st = this.st;
    if (st === null) return -1;
    return st.pool.acquire(contextId).index;
  }

  onRequestHeaders(slot: i32, _headers: u32, _endOfStream: bool): u32 {
    const st = this.st;
    if (st === null) return FilterHeadersStatus.Continue;
    const s = st.pool.get(slot);
    if (s === null || s.decided) return FilterHeadersStatus.Continue;
    return onRequestHeaders(st, s);
  }

  onRequestBody(slot: i32, size: u32, _endOfStream: bool): u32 {
    const st = this.st;
    if (st === null) return FilterDataStatus.Continue;
    const s = st.pool.get(slot);
    if (s === null) return FilterDataStatus.Continue;
    s.bytesIn += <u64>size;
    // A queued request stays paused: body chunks are buffered, not forwarded (Continue here would
    // resume the stream in Envoy).
    return s.queued ? FilterDataStatus.StopIterationAndBuffer : FilterDataStatus.Continue;
  }

  onResponseBody(slot: i32, size: u32, _endOfStream: bool): u32 {
    const st = this.st;
    if (st === null) return FilterDataStatus.Continue;
    const s = st.pool.get(slot);
    if (s !== null && !s.replied) s.bytesOut += <u64>size;
    return FilterDataStatus.Continue;
  }

  onStreamDelete(slot: i32): void {
    const st = this.st;
    if (st === null) return;
    const s = st.pool.get(slot);
    if (s === null) return;
    this.finish(st, s);
    st.pool.release(s);
  }

  /** Gives back what the stream held and lets waiters take a freed slot. */
  private finish(st: FilterState, s: Stream): void {
    if (!s.queued && s.holding == Holding.None && s.bytesIn == 0 && s.bytesOut == 0) return;
    // The clock is read only when a wait must be measured; usage stamps may use the last reading.
    const now = s.queued ? nowMs() : st.clockMs;
    const held = endStream(st, s, now);
    if (held != Holding.None && st.queue.count > 0) {
      const t = nowMs();
      if (!st.plan.stale(t)) queuePass(st, t, held, s.user, s.userLen, s.contextId);
    }
  }
}
