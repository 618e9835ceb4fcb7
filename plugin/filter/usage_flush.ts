// Ships the worker's usage table to the sync root over the shared queue it registered
// (prefix + "usage", under this VM's vm_id), found on tick. Without a sync root (not started yet,
// or gone), the batch is dropped and counted: a worker must not buffer without bound.
import { enqueue, resolveQueue } from '../abi/shared_data';
import { WasmResult } from '../abi/types';
import { Counter } from './metrics';
import { FilterState } from './state';

export function flushUsage(st: FilterState, now: u64): void {
  const u = st.usage;
  if (u.count == 0) {
    u.intervalStartMs = now;
    return;
  }
  let sent = false;
  if (st.usageQueueToken >= 0) {
    u.seal(now);
    sent = enqueue(<u32>st.usageQueueToken, u.batch, u.batchBytes) == WasmResult.Ok;
    if (!sent) st.usageQueueToken = -1;
  }
  if (!sent) st.metrics.count(Counter.UsageDropped);
  u.clear(now);
}

/** Finds the sync root's queue (on tick: a request never pays for the lookup). */
export function resolveUsageQueue(st: FilterState): void {
  if (st.usageQueueToken >= 0) return;
  const q = st.keys.usageQueue;
  st.usageQueueToken = resolveQueue(q.ptr, q.len);
}

/** Flushes when the interval is over (called on tick). */
export function flushUsageIfDue(st: FilterState, now: u64): void {
  resolveUsageQueue(st);
  const u = st.usage;
  if (u.count == 0) u.intervalStartMs = now;
  else if (now - u.intervalStartMs >= <u64>st.config.usage.flushMs) flushUsage(st, now);
}
