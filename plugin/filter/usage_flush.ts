// Ships the worker's usage table to the sync root over the shared queue it registered
// (prefix + "usage", under this VM's vm_id), found on tick. Without a sync root (not started yet,
// or gone: its VM failed, which Envoy does not tell the queue, so its stamp says it;
// plan/usage_consumer.ts), the batch is dropped and counted: nothing may pile up without bound.
import { log } from '../abi/hostcalls';
import { enqueue, resolveQueue } from '../abi/shared_data';
import { LogLevel, WasmResult } from '../abi/types';
import { consumerGone } from '../plan/usage_consumer';
import { Counter } from './metrics';
import { FilterState } from './state';

export function flushUsage(st: FilterState, now: u64): void {
  const u = st.usage;
  if (u.count == 0) {
    u.intervalStartMs = now;
    return;
  }
  let sent = false;
  if (st.usageQueueToken >= 0 && !st.usageConsumerGone) {
    u.seal(now);
    sent = enqueue(<u32>st.usageQueueToken, u.batch, u.batchBytes) == WasmResult.Ok;
    if (!sent) st.usageQueueToken = -1;
  }
  if (!sent) st.metrics.count(Counter.UsageDropped);
  u.clear(now);
}

/**
 * Finds the sync root's queue and checks that it still has a consumer (on tick and configure: a
 * request never pays for either lookup).
 */
export function resolveUsageQueue(st: FilterState): void {
  const gone = consumerGone(st.keys.usageConsumer, st.clockMs);
  if (gone != st.usageConsumerGone) {
    st.usageConsumerGone = gone;
    if (gone)
      log(
        LogLevel.Warn,
        'earmark: the usage queue has had no consumer (sync root) for a while; usage batches are ' +
          'dropped and counted until it is back',
      );
    else log(LogLevel.Info, 'earmark: the usage queue has a consumer again');
  }
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
