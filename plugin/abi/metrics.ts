// Metrics through proxy_define_metric (cpp-host exports.cc; Envoy context.cc defineMetric): one
// stat per name shared by every VM of the process, so counters from all workers add up and
// gauges changed with increments (not records) sum across workers.
import * as env from './imports/env';
import { MetricType, WasmResult } from './types';

const idSlot: usize = memory.data(4, 4);

/** Defines a metric; returns its id, or 0 when the host refused (later updates are no-ops). */
export function defineMetric(type: MetricType, name: string): u32 {
  const utf8 = String.UTF8.encode(name);
  const r = env.proxy_define_metric(type, changetype<usize>(utf8), <usize>utf8.byteLength, idSlot);
  return r == WasmResult.Ok ? load<u32>(idSlot) : 0;
}

/** Adds to a counter (offset > 0) or moves a gauge up or down. */
export function incrementMetric(id: u32, offset: i64): void {
  if (id != 0 && offset != 0) env.proxy_increment_metric(id, offset);
}

/** Sets a gauge, or records a histogram sample. */
export function recordMetric(id: u32, value: u64): void {
  if (id != 0) env.proxy_record_metric(id, value);
}
