// Whether the usage queue still has a consumer. The workers enqueue usage batches on the queue the
// sync root registered; if that VM dies (a trap fails it), Envoy keeps the queue (it goes only
// with the last VM of the vm_id) and accepts every enqueue, but delivers nothing: batches would
// pile up in the proxy's memory for good, uncounted. So the consumer stamps prefix +
// "usage-consumer" on every tick ([u64 now ms][u32 tick ms]), and a worker that finds the stamp
// too old drops its batches and counts them instead, as it does when there is no queue.
import { getSharedData, setSharedData } from '../abi/shared_data';
import { returned } from '../abi/hostcalls';
import { WasmResult } from '../abi/types';
import { Blob } from '../lib/bytes';

const STAMP_BYTES: usize = 12;
const stamp: usize = memory.data(<i32>STAMP_BYTES, 8);

/** Written by the consumer at its start and on every tick (one writer: cas 0). */
export function stampConsumer(key: Blob, now: u64, tickMs: u32): void {
  store<u64>(stamp, now);
  store<u32>(stamp, tickMs, 8);
  setSharedData(key.ptr, key.len, stamp, STAMP_BYTES, 0);
}

/**
 * True when the consumer stopped stamping: ten of its ticks and 5 s late (Envoy delays ticks on a
 * busy thread). No stamp at all counts as alive: a sync root built before stamps existed (a
 * rolling upgrade) never writes one, and without any sync root there is no queue to find anyway.
 */
export function consumerGone(key: Blob, now: u64): bool {
  if (getSharedData(key.ptr, key.len) != WasmResult.Ok || returned.len < STAMP_BYTES) return false;
  const at = load<u64>(returned.ptr);
  const tickMs = <u64>load<u32>(returned.ptr, 8);
  return now > at && now - at > tickMs * 10 + 5000;
}
