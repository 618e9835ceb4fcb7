// Compiled module shared by every VM cloned from it (Envoy compiles once per vm_key and clones per
// thread; cpp-host wasm.cc createWasm / makeVmKey). Checks done once, like WasmBase::load: a parseable
// binary with a known ABI version marker.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { abiVersion, AbiVersion, ModuleInfo, parseModule, WasmParseError } from './wasm-binary';

type F = (...args: number[]) => unknown;

/** The module functions the host calls (cpp-host wasm.h FOR_ALL_MODULE_FUNCTIONS + integration). */
export interface ModuleExports {
  _initialize?: F;
  _start?: F;
  main?: F;
  __main_void?: F;
  malloc?: F;
  proxy_on_memory_allocate?: F;
  proxy_validate_configuration?: F;
  proxy_on_vm_start?: F;
  proxy_on_configure?: F;
  proxy_on_tick?: F;
  proxy_on_context_create?: F;
  proxy_on_new_connection?: F;
  proxy_on_downstream_data?: F;
  proxy_on_upstream_data?: F;
  proxy_on_downstream_connection_close?: F;
  proxy_on_upstream_connection_close?: F;
  proxy_on_request_headers?: F;
  proxy_on_request_body?: F;
  proxy_on_request_trailers?: F;
  proxy_on_request_metadata?: F;
  proxy_on_response_headers?: F;
  proxy_on_response_body?: F;
  proxy_on_response_trailers?: F;
  proxy_on_response_metadata?: F;
  proxy_on_http_call_response?: F;
  proxy_on_grpc_receive?: F;
  proxy_on_grpc_close?: F;
  proxy_on_grpc_receive_initial_metadata?: F;
  proxy_on_grpc_receive_trailing_metadata?: F;
  proxy_on_queue_ready?: F;
  proxy_on_foreign_function?: F;
  proxy_on_done?: F;
  proxy_on_log?: F;
  proxy_on_delete?: F;
}

/**
 * An exports record with every callback slot present from the start: one fixed object shape, so
 * V8 loads `vm.exports.proxy_on_*` inline (filling a `{}` key by key turns it into a dictionary).
 */
export const emptyExports = (): ModuleExports => ({
  _initialize: undefined,
  _start: undefined,
  main: undefined,
  __main_void: undefined,
  malloc: undefined,
  proxy_on_memory_allocate: undefined,
  proxy_validate_configuration: undefined,
  proxy_on_vm_start: undefined,
  proxy_on_configure: undefined,
  proxy_on_tick: undefined,
  proxy_on_context_create: undefined,
  proxy_on_new_connection: undefined,
  proxy_on_downstream_data: undefined,
  proxy_on_upstream_data: undefined,
  proxy_on_downstream_connection_close: undefined,
  proxy_on_upstream_connection_close: undefined,
  proxy_on_request_headers: undefined,
  proxy_on_request_body: undefined,
  proxy_on_request_trailers: undefined,
  proxy_on_request_metadata: undefined,
  proxy_on_response_headers: undefined,
  proxy_on_response_body: undefined,
  proxy_on_response_trailers: undefined,
  proxy_on_response_metadata: undefined,
  proxy_on_http_call_response: undefined,
  proxy_on_grpc_receive: undefined,
  proxy_on_grpc_close: undefined,
  proxy_on_grpc_receive_initial_metadata: undefined,
  proxy_on_grpc_receive_trailing_metadata: undefined,
  proxy_on_queue_ready: undefined,
  proxy_on_foreign_function: undefined,
  proxy_on_done: undefined,
  proxy_on_log: undefined,
  proxy_on_delete: undefined,
});

const w = (n: number, ret: boolean): string => `${Array(n).fill('i32').join(' ')} -> ${ret ? 'i32' : ''}`;

/** Expected signatures (WasmCallWord<N> / WasmCallVoid<N>, ABI 0.2.x); a mismatch refuses the module. */
export const EXPORT_SIGNATURES: Record<keyof ModuleExports, string> = {
  _initialize: w(0, false),
  _start: w(0, false),
  main: w(2, true),
  __main_void: w(0, true),
  malloc: w(1, true),
  proxy_on_memory_allocate: w(1, true),
  proxy_validate_configuration: w(2, true),
  proxy_on_vm_start: w(2, true),
  proxy_on_configure: w(2, true),
  proxy_on_tick: w(1, false),
  proxy_on_context_create: w(2, false),
  proxy_on_new_connection: w(1, true),
  proxy_on_downstream_data: w(3, true),
  proxy_on_upstream_data: w(3, true),
  proxy_on_downstream_connection_close: w(2, false),
  proxy_on_upstream_connection_close: w(2, false),
  proxy_on_request_headers: w(3, true),
  proxy_on_request_body: w(3, true),
  proxy_on_request_trailers: w(2, true),
  proxy_on_request_metadata: w(2, true),
  proxy_on_response_headers: w(3, true),
  proxy_on_response_body: w(3, true),
  proxy_on_response_trailers: w(2, true),
  proxy_on_response_metadata: w(2, true),
  proxy_on_http_call_response: w(5, false),
  proxy_on_grpc_receive: w(3, false),
  proxy_on_grpc_close: w(3, false),
  proxy_on_grpc_receive_initial_metadata: w(3, false),
  proxy_on_grpc_receive_trailing_metadata: w(3, false),
  proxy_on_queue_ready: w(2, false),
  proxy_on_foreign_function: w(3, false),
  proxy_on_done: w(1, true),
  proxy_on_log: w(1, false),
  proxy_on_delete: w(1, false),
};

export interface CompiledCode {
  module: WebAssembly.Module;
  info: ModuleInfo;
  abi: AbiVersion;
  vmId: string;
  /** vm_id as latin1 bytes-string, the shared-data / queue namespace. */
  vmIdRaw: string;
  vmConfiguration: Uint8Array;
  /** makeVmKey: sha256(vm_id || vm_configuration || code). */
  vmKey: string;
  envs: Array<[string, string]>;
}

/** Refusal of a module or configuration, with Envoy's message. */
export class WasmLoadError extends Error {}

export type WasmSource = string | Uint8Array | WebAssembly.Module;

const moduleCache = new WeakMap<WebAssembly.Module, Uint8Array>();

/** Keep the bytes of a module compiled elsewhere, so it can be passed as a WebAssembly.Module. */
export const compileModule = (bytes: Uint8Array): WebAssembly.Module => {
  const m = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  moduleCache.set(m, bytes);
  return m;
};

export const compile = (
  source: WasmSource,
  vmId: string,
  vmConfiguration: Uint8Array,
  envs: Array<[string, string]>,
): CompiledCode => {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = new Uint8Array(readFileSync(source));
    } catch (e) {
      throw new WasmLoadError(`Failed to load Wasm code from ${source}: ${(e as Error).message}`);
    }
  } else if (source instanceof Uint8Array) bytes = source;
  else {
    const b = moduleCache.get(source);
    if (b === undefined)
      throw new WasmLoadError('A WebAssembly.Module must come from compileModule() so its bytes are known');
    bytes = b;
  }
  let info: ModuleInfo;
  try {
    info = parseModule(bytes);
  } catch (e) {
    throw new WasmLoadError(
      e instanceof WasmParseError ? e.message : `Failed to parse Wasm module: ${(e as Error).message}`,
    );
  }
  const abi = abiVersion(info);
  if (abi === 'unknown') throw new WasmLoadError('Missing or unknown Proxy-Wasm ABI version');
  if (abi === '0_1_0')
    throw new WasmLoadError('Proxy-Wasm ABI 0.1.0 is not supported by this host (0.2.0, 0.2.1 are)');
  let module: WebAssembly.Module;
  try {
    module =
      source instanceof WebAssembly.Module
        ? source
        : new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new WasmLoadError(`Failed to load Wasm bytecode: ${(e as Error).message}`);
  }
  const h = createHash('sha256');
  h.update(vmId).update('||').update(vmConfiguration).update('||').update(bytes);
  return {
    module,
    info,
    abi,
    vmId,
    vmIdRaw: Buffer.from(vmId, 'utf8').toString('latin1'),
    vmConfiguration,
    vmKey: h.digest('hex'),
    envs,
  };
};
