// The host function table a module links against: proxy_* for ABI 0.2.x, env.* helpers, and WASI
// under both wasi_unstable and wasi_snapshot_preview1 (cpp-host wasm.cc registerCallbacks).
// Each function is wrapped once per VM to enforce cpp-host's restricted modes (startVm and
// allocMemory allow only a few calls; anything else traps with "restricted_callback") and, only
// when the process counts host calls, to count it: counting costs nothing when off.

import { WasmTrap, type WasmVm } from '../vm';
import { generalImports } from './general';
import { grpcImports } from './grpc';
import { httpImports } from './http';
import { sharedImports } from './shared';
import { wasiImports } from './wasi';

export interface HostFn {
  fn: (...args: any[]) => number | void;
  sig: string;
}

/** [name (module.field), signature, implementation] */
export type Def = [string, string, (...args: any[]) => number | void];

/** A signature of n i32 params returning i32 (or void). */
export const sig = (n: number, ret = true): string =>
  `${Array(n).fill('i32').join(' ')} -> ${ret ? 'i32' : ''}`;

// cpp-host wasm.cc startVm(): host calls allowed while _initialize/_start run.
const START_ALLOWED = new Set([
  'env.emscripten_notify_memory_growth',
  'env.proxy_log',
  ...[
    'fd_write',
    'args_sizes_get',
    'args_get',
    'environ_sizes_get',
    'environ_get',
    'clock_time_get',
    'clock_res_get',
    'random_get',
    'poll_oneoff',
    'fd_fdstat_get',
    'fd_fdstat_set_flags',
    'fd_advise',
    'fd_allocate',
    'fd_datasync',
    'fd_fdstat_set_rights',
    'fd_filestat_get',
    'fd_filestat_set_size',
    'fd_filestat_set_times',
    'fd_pread',
    'fd_prestat_dir_name',
    'fd_prestat_get',
    'fd_pwrite',
    'fd_readdir',
    'fd_renumber',
    'fd_sync',
    'fd_tell',
    'path_create_directory',
    'path_filestat_get',
    'path_filestat_set_times',
    'path_link',
    'path_readlink',
    'path_remove_directory',
    'path_rename',
    'path_symlink',
    'path_unlink_file',
    'sock_accept',
    'sock_recv',
    'sock_send',
    'sock_shutdown',
  ].flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);

// cpp-host wasm.h allocMemory(): host calls allowed while the module's malloc runs.
const ALLOC_ALLOWED = new Set(
  ['env.proxy_log'].concat(
    ['fd_write', 'clock_time_get', 'poll_oneoff'].flatMap((f) => [
      `wasi_unstable.${f}`,
      `wasi_snapshot_preview1.${f}`,
    ]),
  ),
);

/** The trap for a call the current mode forbids (a start section has no context at all). */
const restrictedTrap = (mode: number): WasmTrap =>
  new WasmTrap(
    mode === 3
      ? 'host call from the Wasm start section: no context yet (Envoy would crash)'
      : 'restricted_callback',
  );

type Fn = (...a: any[]) => any;
type Factory = (vm: WasmVm, check: () => void, fn: Fn, index: number) => Fn;

// One compiled wrapper source per (host function, arity, counting). Closures made from one function
// literal share their feedback in V8, so a single generic wrapper would make its `fn(...)` call
// megamorphic across every host function (no inlining, a dispatch per call); a literal per name
// keeps each wrapper's call monomorphic. Compiled once per process, then reused by every VM.
const factories = new Map<string, Factory>();

/**
 * Wrap host function `name` with its restricted-mode check (and, when counting, its counter),
 * keeping its arity (V8's Wasm→JS calls are fastest when the JS arity matches the import).
 * `check` runs only in a restricted mode and throws the trap.
 */
const wrap = (vm: WasmVm, name: string, index: number, fn: Fn, check: () => void, counting: boolean): Fn => {
  const arity = fn.length;
  const id = `${name}/${arity}/${counting ? 1 : 0}`;
  let make = factories.get(id);
  if (make === undefined) {
    const args = Array.from({ length: arity }, (_, i) => `a${i}`).join(', ');
    const count = counting ? `vm.hostCallsTotal++; vm.hostCallCounts[index]++; ` : '';
    // A function name that is a valid identifier makes profiles readable.
    const label = `host_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    make = new Function(
      'vm',
      'check',
      'fn',
      'index',
      `'use strict'; const ${label} = (${args}) => { if (vm.restricted !== 0) check(); ${count}return fn(${args}); }; return ${label};`,
    ) as Factory;
    factories.set(id, make);
  }
  return make(vm, check, fn, index);
};

export const buildImports = (vm: WasmVm): Record<string, HostFn> => {
  const defs: Def[] = [
    ...generalImports(vm),
    ...httpImports(vm),
    ...sharedImports(vm),
    ...grpcImports(vm),
    ...wasiImports(vm, 'wasi_unstable'),
    ...wasiImports(vm, 'wasi_snapshot_preview1'),
  ];
  // ABI-specific registrations (wasm.cc registerCallbacks): get_log_level exists only in 0.2.1.
  const filtered = defs.filter(([name]) => vm.code.abi === '0_2_1' || name !== 'env.proxy_get_log_level');
  const counting = vm.proc.countHostCalls;
  vm.hostCallNames = filtered.map(([name]) => name);
  vm.hostCallCounts = filtered.map(() => 0);
  const table: Record<string, HostFn> = {};
  filtered.forEach(([name, signature, fn], index) => {
    const okStart = START_ALLOWED.has(name);
    const okAlloc = ALLOC_ALLOWED.has(name);
    const check = (): void => {
      const mode = vm.restricted;
      if (mode === 3 || !(mode === 2 ? okAlloc : okStart)) throw restrictedTrap(mode);
    };
    table[name] = { fn: wrap(vm, name, index, fn, check, counting), sig: signature };
  });
  return table;
};
