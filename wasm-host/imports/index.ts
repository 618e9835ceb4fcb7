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

/**
 * Wrap a host function with its restricted-mode check, keeping its arity (V8's Wasm→JS calls are
 * fastest when the JS function's arity matches the import). `ok(mode)` runs only in a restricted mode.
 */
const wrap = (vm: WasmVm, fn: Fn, ok: (mode: number) => boolean): Fn => {
  const check = (): void => {
    if (!ok(vm.restricted)) throw restrictedTrap(vm.restricted);
  };
  switch (fn.length) {
    case 0:
      return () => (vm.restricted !== 0 && check(), fn());
    case 1:
      return (a) => (vm.restricted !== 0 && check(), fn(a));
    case 2:
      return (a, b) => (vm.restricted !== 0 && check(), fn(a, b));
    case 3:
      return (a, b, c) => (vm.restricted !== 0 && check(), fn(a, b, c));
    case 4:
      return (a, b, c, d) => (vm.restricted !== 0 && check(), fn(a, b, c, d));
    case 5:
      return (a, b, c, d, e) => (vm.restricted !== 0 && check(), fn(a, b, c, d, e));
    case 6:
      return (a, b, c, d, e, f) => (vm.restricted !== 0 && check(), fn(a, b, c, d, e, f));
    case 7:
      return (a, b, c, d, e, f, g) => (vm.restricted !== 0 && check(), fn(a, b, c, d, e, f, g));
    case 8:
      return (a, b, c, d, e, f, g, h) => (vm.restricted !== 0 && check(), fn(a, b, c, d, e, f, g, h));
    case 9:
      return (a, b, c, d, e, f, g, h, i) => (vm.restricted !== 0 && check(), fn(a, b, c, d, e, f, g, h, i));
    case 10:
      return (a, b, c, d, e, f, g, h, i, j) => (
        vm.restricted !== 0 && check(),
        fn(a, b, c, d, e, f, g, h, i, j)
      );
    default:
      return (a, b, c, d, e, f, g, h, i, j, k, l) => (
        vm.restricted !== 0 && check(),
        fn(a, b, c, d, e, f, g, h, i, j, k, l)
      );
  }
};

/** Count every call of fn (only built when the process counts host calls). */
const counted = (vm: WasmVm, index: number, fn: Fn): Fn => {
  const count = (): void => {
    vm.hostCallsTotal++;
    vm.hostCallCounts[index]++;
  };
  switch (fn.length) {
    case 0:
      return () => (count(), fn());
    case 1:
      return (a) => (count(), fn(a));
    case 2:
      return (a, b) => (count(), fn(a, b));
    case 3:
      return (a, b, c) => (count(), fn(a, b, c));
    case 4:
      return (a, b, c, d) => (count(), fn(a, b, c, d));
    case 5:
      return (a, b, c, d, e) => (count(), fn(a, b, c, d, e));
    case 6:
      return (a, b, c, d, e, f) => (count(), fn(a, b, c, d, e, f));
    case 7:
      return (a, b, c, d, e, f, g) => (count(), fn(a, b, c, d, e, f, g));
    case 8:
      return (a, b, c, d, e, f, g, h) => (count(), fn(a, b, c, d, e, f, g, h));
    case 9:
      return (a, b, c, d, e, f, g, h, i) => (count(), fn(a, b, c, d, e, f, g, h, i));
    case 10:
      return (a, b, c, d, e, f, g, h, i, j) => (count(), fn(a, b, c, d, e, f, g, h, i, j));
    default:
      return (a, b, c, d, e, f, g, h, i, j, k, l) => (count(), fn(a, b, c, d, e, f, g, h, i, j, k, l));
  }
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
    const ok = (mode: number): boolean => mode !== 3 && (mode === 2 ? okAlloc : okStart);
    const inner = counting ? counted(vm, index, fn) : fn;
    table[name] = { fn: wrap(vm, inner, ok), sig: signature };
  });
  return table;
};
