// Shared data and shared queues (cpp-host src/exports.cc get/set_shared_data, *_shared_queue;
// src/context.cc: the store is keyed by the VM's vm_id; a queue registered from a stream context is
// owned by its root context, since on_queue_ready is delivered to roots).

import { WasmResult as WasmResultValues } from '../abi';
import type { WasmVm } from '../vm';
import { sig, type Def } from './index';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const WasmResult = WasmResultValues;

export const sharedImports = (vm: WasmVm): Def[] => {
  const mem = vm.mem;
  const data = vm.proc.sharedData;
  const queues = vm.proc.sharedQueues;
  const vmId = vm.code.vmIdRaw;
  const store = data.storeFor(vmId); // the vm_id's store, looked up once per VM

  return [
    [
      'env.proxy_get_shared_data',
      sig(5),
      (kPtr: number, kSize: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
        if (!mem.ok(kPtr, kSize)) return WasmResult.InvalidMemoryAccess;
        const off = store.find(mem.u8, kPtr >>> 0, kSize >>> 0, mem.words);
        if (off < 0) return WasmResult.NotFound;
        // The value is copied into the module through its allocator (copyToPointerSize).
        const size = store.valueLength(off);
        let p = 0;
        if (size > 0) {
          p = vm.alloc(size);
          if (p === 0) return WasmResult.InvalidMemoryAccess;
          store.copyValue(off, mem.u8, p, mem.words);
        }
        if (!mem.setU32(ptrPtr, p) || !mem.setU32(sizePtr, size)) return WasmResult.InvalidMemoryAccess;
        return mem.setU32(casPtr, store.cas(off)) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_set_shared_data',
      sig(5),
      (kPtr: number, kSize: number, vPtr: number, vSize: number, cas: number) => {
        if (!mem.ok(kPtr, kSize) || !mem.ok(vPtr, vSize)) return WasmResult.InvalidMemoryAccess;
        return data.setIn(
          store,
          mem.u8,
          mem.words,
          kPtr >>> 0,
          kSize >>> 0,
          vPtr >>> 0,
          vSize >>> 0,
          cas >>> 0,
        );
      },
    ],
    [
      'env.proxy_register_shared_queue',
      sig(3),
      (nPtr: number, nSize: number, tokenPtr: number) => {
        const name = mem.latin1(nPtr, nSize);
        if (name === undefined) return WasmResult.InvalidMemoryAccess;
        const c = vm.ctx();
        const token = queues.register(vmId, name, {
          vmKey: vm.code.vmKey,
          contextId: c.isRoot ? c.id : c.parentId,
          post: (task) => vm.thread.post(task),
          notify: (vmKey, contextId, t) => vm.proc.notifyQueue(vm.thread, vmKey, contextId, t),
        });
        return mem.setU32(tokenPtr, token) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_resolve_shared_queue',
      sig(5),
      (vPtr: number, vSize: number, nPtr: number, nSize: number, tokenPtr: number) => {
        const id = mem.latin1(vPtr, vSize);
        const name = mem.latin1(nPtr, nSize);
        if (id === undefined || name === undefined) return WasmResult.InvalidMemoryAccess;
        const token = queues.resolveRaw(id === '' ? vmId : id, name);
        if (vm.failed || token === 0) return WasmResult.NotFound;
        return mem.setU32(tokenPtr, token) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_dequeue_shared_queue',
      sig(3),
      (token: number, ptrPtr: number, sizePtr: number) => {
        const r = queues.dequeue(token >>> 0);
        if (typeof r === 'number') return r;
        return vm.copyBytesOut(r, ptrPtr, sizePtr) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_enqueue_shared_queue',
      sig(3),
      (token: number, ptr: number, size: number) => {
        const value = mem.copyOut(ptr, size);
        if (value === undefined) return WasmResult.InvalidMemoryAccess;
        return queues.enqueue(token >>> 0, value);
      },
    ],
  ];
};
