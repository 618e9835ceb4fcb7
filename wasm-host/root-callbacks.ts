// Calls into root contexts (cpp-host src/context.cc onStart/onConfigure/onTick/onQueueReady/
// onGrpc*/onDone/onDelete, src/wasm.cc start/startShutdown/done; envoy context.cc onGrpc*Wrapper).
// Every call skips a failed VM and runs the deferred after-call actions when it returns.

import { WasmResult as WasmResultValues } from './abi';
import type { Context, PluginSpec } from './context';
import type { HeaderMap } from './header-map';
import type { WasmVm } from './vm';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const WasmResult = WasmResultValues;

/** WasmBase::start + ContextBase::onStart: on_context_create(root, 0), then on_vm_start. */
export const startRoot = (vm: WasmVm, plugin: PluginSpec): Context | null => {
  let root = vm.rootContexts.get(plugin.key);
  if (root === undefined) {
    root = vm.newContext(0, plugin);
    vm.rootContexts.set(plugin.key, root);
  }
  const e = vm.exports;
  let ok = true;
  if (e.proxy_on_context_create) {
    root.tempPlugin = true;
    vm.call2(root, 'proxy_on_context_create', e.proxy_on_context_create, root.id, 0);
    root.inVmCreated = true;
    root.tempPlugin = false;
  }
  if (e.proxy_on_vm_start && !vm.failed) {
    ok =
      vm.call2(root, 'proxy_on_vm_start', e.proxy_on_vm_start, root.id, vm.code.vmConfiguration.length) !== 0;
  }
  vm.afterCall();
  return ok && !vm.failed ? root : null;
};

/** ContextBase::onConfigure: on_configure(root, plugin configuration size). */
export const configureRoot = (vm: WasmVm, root: Context, plugin: PluginSpec): boolean => {
  if (vm.failed) return true;
  const e = vm.exports;
  if (!root.inVmCreated && e.proxy_on_context_create) {
    vm.call2(root, 'proxy_on_context_create', e.proxy_on_context_create, root.id, 0);
    vm.afterCall();
  }
  root.inVmCreated = true;
  if (!e.proxy_on_configure) return true;
  root.tempPlugin = true;
  const r =
    vm.call2(root, 'proxy_on_configure', e.proxy_on_configure, root.id, plugin.configuration.length) !== 0;
  root.tempPlugin = false;
  vm.afterCall();
  return r && !vm.failed;
};

export const tick = (vm: WasmVm, root: Context): void => {
  if (vm.failed || !vm.exports.proxy_on_tick) return;
  vm.call1(root, 'proxy_on_tick', vm.exports.proxy_on_tick, root.id);
  vm.afterCall();
};

export const queueReady = (vm: WasmVm, ctx: Context, token: number): void => {
  if (vm.failed || !vm.exports.proxy_on_queue_ready) return;
  vm.call2(ctx, 'proxy_on_queue_ready', vm.exports.proxy_on_queue_ready, ctx.id, token);
  vm.afterCall();
};

/** onGrpcReceive{Initial,Trailing}MetadataWrapper: the map is readable only during the call. */
export const grpcMetadata = (
  vm: WasmVm,
  root: Context,
  token: number,
  md: HeaderMap,
  trailing: boolean,
): void => {
  const e = vm.exports;
  const f = trailing ? e.proxy_on_grpc_receive_trailing_metadata : e.proxy_on_grpc_receive_initial_metadata;
  if (vm.failed || !f) return;
  if (trailing) root.grpcTrailingMetadata = md;
  else root.grpcInitialMetadata = md;
  const name = trailing
    ? 'proxy_on_grpc_receive_trailing_metadata'
    : 'proxy_on_grpc_receive_initial_metadata';
  vm.call3(root, name, f, root.id, token, md.size);
  vm.afterCall();
  root.grpcInitialMetadata = null;
  root.grpcTrailingMetadata = null;
};

/** onGrpcReceiveWrapper: the message is readable as GrpcReceiveBuffer; a unary call ends here. */
export const grpcReceive = (vm: WasmVm, root: Context, token: number, message: Uint8Array): void => {
  const f = vm.exports.proxy_on_grpc_receive;
  const cleanup = (): void => {
    if ((token & 3) === 1) root.grpc.delete(token);
  };
  if (!f || vm.failed) return cleanup();
  root.grpcReceiveBuffer = message;
  vm.call3(root, 'proxy_on_grpc_receive', f, root.id, token, message.length);
  vm.afterCall();
  root.grpcReceiveBuffer = null;
  cleanup();
};

/** onGrpcCloseWrapper: status readable through proxy_get_status; the message is cleared after. */
export const grpcClose = (
  vm: WasmVm,
  root: Context,
  token: number,
  status: number,
  message: string,
): void => {
  const cleanup = (): void => {
    if ((token & 3) === 1) root.grpc.delete(token);
    else if ((token & 3) === 2 && root.grpc.get(token)?.localClosed) root.grpc.delete(token);
  };
  const f = vm.exports.proxy_on_grpc_close;
  if (!f || vm.failed) return cleanup();
  root.statusCode = status;
  root.statusMessage = Buffer.from(message, 'utf8').toString('latin1');
  vm.call3(root, 'proxy_on_grpc_close', f, root.id, token, status);
  vm.afterCall();
  root.statusMessage = '';
  cleanup();
};

/** WasmBase::startShutdown for one root: on_done; true → on_delete, false → wait for proxy_done. */
export const shutdownRoot = (vm: WasmVm, root: Context, pendingDone: Set<Context>): void => {
  if (onDone(vm, root)) onDelete(vm, root);
  else pendingDone.add(root);
};

export const onDone = (vm: WasmVm, ctx: Context): boolean => {
  if (vm.failed || !vm.exports.proxy_on_done) return true;
  const r = vm.call1(ctx, 'proxy_on_done', vm.exports.proxy_on_done, ctx.id) !== 0;
  vm.afterCall();
  return r;
};

export const onLog = (vm: WasmVm, ctx: Context): void => {
  if (vm.failed || !vm.exports.proxy_on_log) return;
  vm.call1(ctx, 'proxy_on_log', vm.exports.proxy_on_log, ctx.id);
  vm.afterCall();
};

export const onDelete = (vm: WasmVm, ctx: Context): void => {
  if (ctx.inVmCreated && !vm.failed && vm.exports.proxy_on_delete) {
    vm.call1(ctx, 'proxy_on_delete', vm.exports.proxy_on_delete, ctx.id);
    vm.afterCall();
  }
  vm.deleteContext(ctx);
};

/** WasmBase::done: a root waiting after on_done=false is deleted after the current VM call. */
export const rootDone = (vm: WasmVm, ctx: Context, pendingDone: Set<Context>): number => {
  const key = (ctx.plugin ?? ctx.root.plugin)?.key;
  const root = [...pendingDone].find((r) => r.vm === vm && r.plugin?.key === key);
  if (root === undefined) return WasmResult.NotFound;
  pendingDone.delete(root);
  vm.addAfterCall(() => onDelete(vm, root));
  return WasmResult.Ok;
};
