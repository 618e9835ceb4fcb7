// Shared data and shared queues: Envoy's process-wide key/value store and message queues, keyed
// by the VmConfig.vm_id (cpp-host src/shared_data.cc, shared_queue.cc). Semantics the callers rely
// on: one process-wide lock per operation; every write takes the next value of one global CAS
// counter; cas = 0 writes unconditionally; writing an absent key always succeeds, whatever cas;
// there is no delete.
import * as env from './imports/env';
import { returned } from './hostcalls';
import { WasmResult } from './types';

const slots: usize = memory.data(16, 8);
const RET_PTR: usize = slots;
const RET_LEN: usize = slots + 4;
const RET_CAS: usize = slots + 8;
const RET_TOKEN: usize = slots + 12;

/**
 * A CAS value no present key can hold in practice (the global counter would have to reach it):
 * writing with it creates a key only if it is still absent, and fails with CasMismatch otherwise.
 */
export const CAS_CREATE_ONLY: u32 = 0xffff_fff0;

/** Reads a value; on Ok its bytes are at returned.ptr/len (scratch) and its CAS in returned.cas. */
export function getSharedData(keyPtr: usize, keyLen: usize): u32 {
  const r = env.proxy_get_shared_data(keyPtr, keyLen, RET_PTR, RET_LEN, RET_CAS);
  if (r == WasmResult.Ok) {
    returned.ptr = <usize>load<u32>(RET_PTR);
    returned.len = <usize>load<u32>(RET_LEN);
    returned.cas = load<u32>(RET_CAS);
  } else {
    returned.ptr = 0;
    returned.len = 0;
    returned.cas = 0;
  }
  return r;
}

/** Writes a value; Ok, or CasMismatch when `cas` is non-zero and the key changed since read. */
export function setSharedData(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize, cas: u32): u32 {
  return env.proxy_set_shared_data(keyPtr, keyLen, valuePtr, valueLen, cas);
}

// Shared queues -------------------------------------------------------------------------------

/** Registers (or takes over) a queue of this VM id; on_queue_ready then fires on this root. */
export function registerQueue(namePtr: usize, nameLen: usize): i64 {
  const r = env.proxy_register_shared_queue(namePtr, nameLen, RET_TOKEN);
  return r == WasmResult.Ok ? <i64>load<u32>(RET_TOKEN) : -1;
}

/** Finds a queue registered under this VM's vm_id (empty vm id = our own). -1 when absent. */
export function resolveQueue(namePtr: usize, nameLen: usize): i64 {
  const r = env.proxy_resolve_shared_queue(0, 0, namePtr, nameLen, RET_TOKEN);
  return r == WasmResult.Ok ? <i64>load<u32>(RET_TOKEN) : -1;
}

export function enqueue(token: u32, dataPtr: usize, dataLen: usize): u32 {
  return env.proxy_enqueue_shared_queue(token, dataPtr, dataLen);
}

/** Ok with the message at returned.ptr/len, Empty when drained, NotFound for a bad token. */
export function dequeue(token: u32): u32 {
  const r = env.proxy_dequeue_shared_queue(token, RET_PTR, RET_LEN);
  if (r == WasmResult.Ok) {
    returned.ptr = <usize>load<u32>(RET_PTR);
    returned.len = <usize>load<u32>(RET_LEN);
  } else {
    returned.ptr = 0;
    returned.len = 0;
  }
  return r;
}
