// The module's exports that Envoy calls (proxy-wasm ABI v0.2.1 "callbacks"), dispatched to the
// root context or to the root that owns a stream. Every callback brackets itself with
// enterCallback/leaveCallback so host copies land in the scratch arena (memory.ts).
import { enterCallback, leaveCallback } from './memory';
import {
  RootContext,
  addRoot,
  deleteStream,
  findRoot,
  getStream,
  putStream,
  removeRoot,
  rootFactory,
  roots,
  rootSlots,
} from './context';
import { getProperty, returned } from './hostcalls';
import { WasmResult } from './types';

const ROOT_ID_PATH: string = 'plugin_root_id';

function readRootId(): string {
  const path = String.UTF8.encode(ROOT_ID_PATH);
  if (getProperty(changetype<usize>(path), <usize>path.byteLength) != WasmResult.Ok) return '';
  return String.UTF8.decodeUnsafe(returned.ptr, returned.len);
}

function rootOfStream(value: u32): RootContext | null {
  const idx = <i32>(value >>> 24) - 1;
  if (idx < 0 || idx >= rootSlots) return null;
  return unchecked(roots[idx]);
}

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  enterCallback();
  if (parentId == 0) {
    if (findRoot(contextId) === null) addRoot(rootFactory(contextId, readRootId()));
  } else {
    const root = findRoot(parentId);
    if (root !== null) {
      const slot = root.onStreamCreate(contextId);
      if (slot >= 0) putStream(contextId, ((<u32>root.index + 1) << 24) | (<u32>slot));
    }
  }
  leaveCallback();
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigSize: u32): bool {
  enterCallback();
  const root = findRoot(rootContextId);
  const ok = root === null ? true : root.onVmStart(vmConfigSize);
  leaveCallback();
  return ok;
}

export function proxy_on_configure(rootContextId: u32, configSize: u32): bool {
  enterCallback();
  const root = findRoot(rootContextId);
  const ok = root === null ? false : root.onConfigure(configSize);
  leaveCallback();
  return ok;
}

export function proxy_on_tick(rootContextId: u32): void {
  enterCallback();
  const root = findRoot(rootContextId);
  if (root !== null) root.onTick();
  leaveCallback();
}

export function proxy_on_queue_ready(rootContextId: u32, token: u32): void {
  enterCallback();
  const root = findRoot(rootContextId);
  if (root !== null) root.onQueueReady(token);
  leaveCallback();
}

export function proxy_on_grpc_receive_initial_metadata(contextId: u32, token: u32, headers: u32): void {
  enterCallback();
  const root = findRoot(contextId);
  if (root !== null) root.onGrpcReceiveInitialMetadata(token, headers);
  leaveCallback();
}

export function proxy_on_grpc_receive(contextId: u32, token: u32, size: u32): void {
  enterCallback();
  const root = findRoot(contextId);
  if (root !== null) root.onGrpcReceive(token, size);
  leaveCallback();
}

export function proxy_on_grpc_receive_trailing_metadata(contextId: u32, token: u32, trailers: u32): void {
  enterCallback();
  const root = findRoot(contextId);
  if (root !== null) root.onGrpcReceiveTrailingMetadata(token, trailers);
  leaveCallback();
}

export function proxy_on_grpc_close(contextId: u32, token: u32, status: u32): void {
  enterCallback();
  const root = findRoot(contextId);
  if (root !== null) root.onGrpcClose(token, status);
  leaveCallback();
}

// HTTP stream callbacks -------------------------------------------------------------------------

export function proxy_on_request_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  enterCallback();
  const v = getStream(contextId);
  const root = rootOfStream(v);
  const r = root === null ? 0 : root.onRequestHeaders(<i32>(v & 0xffffff), headers, endOfStream != 0);
  leaveCallback();
  return r;
}

export function proxy_on_request_body(contextId: u32, size: u32, endOfStream: u32): u32 {
  enterCallback();
  const v = getStream(contextId);
  const root = rootOfStream(v);
  const r = root === null ? 0 : root.onRequestBody(<i32>(v & 0xffffff), size, endOfStream != 0);
  leaveCallback();
  return r;
}

export function proxy_on_response_body(contextId: u32, size: u32, endOfStream: u32): u32 {
  enterCallback();
  const v = getStream(contextId);
  const root = rootOfStream(v);
  const r = root === null ? 0 : root.onResponseBody(<i32>(v & 0xffffff), size, endOfStream != 0);
  leaveCallback();
  return r;
}

// Lifecycle --------------------------------------------------------------------------------------

// proxy_on_done is deliberately not exported: Envoy then treats every context as done at once
// (cpp-host ContextBase::onDone), and a request costs one call into the VM less. Streams give
// their slots back in on_delete, which always follows; roots flush and close there too.

// proxy_on_log is deliberately not exported: the filter has nothing to log per request, and an
// export would cost Envoy a call into the VM for every stream.

export function proxy_on_delete(contextId: u32): void {
  enterCallback();
  const v = getStream(contextId);
  if (v != 0) {
    const root = rootOfStream(v);
    deleteStream(contextId);
    if (root !== null) {
      const slot = <i32>(v & 0xffffff);
      root.onStreamDelete(slot);
    }
  } else {
    const root = findRoot(contextId);
    if (root !== null) {
      root.onDone();
      root.onDelete();
      removeRoot(root);
    }
  }
  leaveCallback();
}
