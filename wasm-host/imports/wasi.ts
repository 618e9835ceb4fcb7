// WASI preview1 as cpp-host provides it (src/exports.cc wasi_unstable_*), registered under both
// wasi_unstable and wasi_snapshot_preview1. stdout/stderr become log lines at info/error with a
// trailing newline removed; clocks follow the process clock; there is no file system.
// Signatures follow cpp-host's declarations (Word = i32, int64_t/uint64_t = i64), so a module
// whose import disagrees is refused at link time exactly as Envoy refuses it.

import { randomFillSync } from 'node:crypto';
import {
  Errno as ErrnoValues,
  LogLevel as LogLevelValues,
  WasmResult as WasmResultValues,
  RANDOM_GET_MAX_BYTES,
} from '../abi';
import type { WasmVm } from '../vm';
import { sig, type Def } from './index';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const Errno = ErrnoValues;
const LogLevel = LogLevelValues;
const WasmResult = WasmResultValues;

const isStd = (fd: number): boolean => fd === 1 || fd === 2;

export const wasiImports = (vm: WasmVm, module: string): Def[] => {
  const mem = vm.mem;
  const I = (n: string): string => n; // readability for mixed signatures below
  const nsWords = new Uint32Array(2); // time as [low, high] words, reused per call
  const trace = (what: string): void =>
    vm.proc.logSink.write(LogLevel.trace, 'envoy', vm.thread.name, `${module} ${what}`);

  /** writevImpl: gather iovecs, log them at info (stdout) or error (stderr). */
  const writev = (fd: number, iovs: number, len: number): number | [number] => {
    const level = fd === 1 ? LogLevel.info : fd === 2 ? LogLevel.error : -1;
    if (level < 0) return Errno.Badf;
    const chunks: Buffer[] = [];
    let written = 0;
    for (let i = 0; i < len >>> 0; i++) {
      const at = (iovs >>> 0) + i * 8;
      if (!mem.ok(at, 8)) return Errno.Fault;
      const buf = mem.dv.getUint32(at, true);
      const blen = mem.dv.getUint32(at + 4, true);
      if (blen !== 0) {
        if (!mem.ok(buf, blen)) return Errno.Fault;
        chunks.push(Buffer.from(mem.u8.subarray(buf, buf + blen)));
        written += blen;
      }
    }
    if (written !== 0) {
      let s = Buffer.concat(chunks).toString('utf8');
      if (s.endsWith('\n')) s = s.slice(0, -1);
      const c = vm.ctx();
      const p = c.plugin ?? c.root.plugin;
      vm.proc.logSink.write(level, 'wasm', vm.thread.name, s, p ? p.tags : { vmId: vm.code.vmId });
    }
    return [written];
  };

  const defs: Array<[string, string, (...a: any[]) => number | void]> = [
    [
      'fd_write',
      sig(4),
      (fd: number, iovs: number, len: number, nPtr: number) => {
        const r = writev(fd, iovs, len);
        if (typeof r === 'number') return r;
        return mem.setU32(nPtr, r[0]) ? Errno.Success : Errno.Fault;
      },
    ],
    ['fd_read', sig(4), () => Errno.Nosys],
    ['fd_seek', I('i32 i64 i32 i32 -> i32'), () => (trace('fd_seek'), 0)],
    ['fd_close', sig(1), () => (trace('fd_close'), 0)],
    [
      'fd_fdstat_get',
      sig(2),
      (fd: number, out: number) => {
        if (!isStd(fd)) return Errno.Badf;
        if (mem.ok(out, 24)) {
          mem.dv.setBigUint64(out >>> 0, 0n, true);
          mem.dv.setBigUint64((out >>> 0) + 8, 64n, true); // fs_rights_base = FD_WRITE
          mem.dv.setBigUint64((out >>> 0) + 16, 0n, true);
        }
        return Errno.Success;
      },
    ],
    ['fd_fdstat_set_flags', sig(2), () => Errno.Nosys],
    ['fd_fdstat_set_rights', I('i32 i64 i64 -> i32'), (fd: number) => (isStd(fd) ? 0 : Errno.Badf)],
    [
      'environ_get',
      sig(2),
      (arrPtr: number, bufPtr: number) => {
        let arr = arrPtr >>> 0;
        let buf = bufPtr >>> 0;
        for (const [k, v] of vm.code.envs) {
          if (!mem.setU32(arr, buf)) return Errno.Fault;
          const data = Buffer.from(`${k}=${v}\u0000`, 'utf8');
          if (!mem.setBytes(buf, data)) return Errno.Fault;
          buf += data.length;
          arr += 4;
        }
        return Errno.Success;
      },
    ],
    [
      'environ_sizes_get',
      sig(2),
      (countPtr: number, sizePtr: number) => {
        if (!mem.setU32(countPtr, vm.code.envs.length)) return Errno.Fault;
        const size = vm.code.envs.reduce(
          (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 2,
          0,
        );
        return mem.setU32(sizePtr, size) ? Errno.Success : Errno.Fault;
      },
    ],
    ['args_get', sig(2), () => Errno.Success],
    [
      'args_sizes_get',
      sig(2),
      (a: number, b: number) => (mem.setU32(a, 0) && mem.setU32(b, 0) ? Errno.Success : Errno.Fault),
    ],
    [
      'clock_time_get',
      I('i32 i64 i32 -> i32'),
      (id: number, _precision: bigint, ptr: number) => {
        if (id !== 0 && id !== 1) return Errno.Notsup;
        if (id === 0) vm.proc.clock.nowNsWords(nsWords);
        else vm.proc.clock.monotonicNsWords(nsWords);
        return mem.setU64Words(ptr, nsWords) ? Errno.Success : Errno.Fault;
      },
    ],
    [
      'clock_res_get',
      sig(2),
      (id: number, ptr: number) =>
        id !== 0 && id !== 1 ? Errno.Notsup : mem.setU64(ptr, 1n) ? 0 : Errno.Fault,
    ],
    ['fd_advise', I('i32 i64 i64 i32 -> i32'), () => Errno.Success],
    ['fd_allocate', I('i32 i64 i64 -> i32'), (fd: number) => (isStd(fd) ? 0 : Errno.Badf)],
    ['fd_datasync', sig(1), (fd: number) => (isStd(fd) ? 0 : Errno.Badf)],
    ['fd_filestat_set_size', I('i32 i64 -> i32'), (fd: number) => (isStd(fd) ? 0 : Errno.Badf)],
    ['fd_filestat_set_times', I('i32 i64 i64 i32 -> i32'), (fd: number) => (isStd(fd) ? 0 : Errno.Badf)],
    ['fd_pread', I('i32 i32 i32 i64 i32 -> i32'), () => Errno.Nosys],
    [
      'fd_pwrite',
      I('i32 i32 i32 i64 i32 -> i32'),
      (fd: number, iovs: number, len: number, _off: bigint, nPtr: number) => {
        if (!isStd(fd)) return Errno.Badf;
        const r = writev(fd, iovs, len);
        if (typeof r === 'number') return r;
        return mem.setU32(nPtr, r[0]) ? Errno.Success : Errno.Fault;
      },
    ],
    [
      'fd_readdir',
      I('i32 i32 i32 i64 i32 -> i32'),
      (_fd: number, _b: number, _l: number, _c: bigint, nPtr: number) =>
        mem.setU32(nPtr, 0) ? Errno.Notdir : Errno.Fault,
    ],
    [
      'fd_renumber',
      sig(2),
      (fd: number, to: number) => (!isStd(fd) || !isStd(to) ? Errno.Badf : Errno.Notsup),
    ],
    ['fd_sync', sig(1), (fd: number) => (isStd(fd) ? 0 : Errno.Badf)],
    [
      'fd_tell',
      sig(2),
      (fd: number, ptr: number) => (!isStd(fd) ? Errno.Badf : mem.setU64(ptr, 0n) ? 0 : Errno.Fault),
    ],
    ['path_create_directory', sig(3), () => Errno.Notsup],
    ['path_filestat_set_times', I('i32 i32 i32 i32 i64 i64 i32 -> i32'), () => Errno.Notsup],
    ['path_link', sig(6), () => Errno.Notsup],
    [
      'path_readlink',
      sig(6),
      (_a: number, _b: number, _c: number, _d: number, _e: number, r: number) =>
        mem.setU32(r, 0) ? Errno.Notsup : Errno.Fault,
    ],
    ['path_remove_directory', sig(3), () => Errno.Notsup],
    ['path_rename', sig(6), () => Errno.Notsup],
    ['path_symlink', sig(4), () => Errno.Notsup],
    ['path_unlink_file', sig(3), () => Errno.Notsup],
    [
      'sock_accept',
      sig(3),
      (_fd: number, _f: number, r: number) => (mem.setU64(r, 0n) ? Errno.Notsup : Errno.Fault),
    ],
    [
      'sock_recv',
      sig(6),
      (_a: number, _b: number, _c: number, _d: number, r0: number, r1: number) =>
        mem.setU32(r0, 0) && mem.setU16(r1, 0) ? Errno.Notsup : Errno.Fault,
    ],
    [
      'sock_send',
      sig(5),
      (_a: number, _b: number, _c: number, _d: number, r0: number) =>
        mem.setU32(r0, 0) ? Errno.Notsup : Errno.Fault,
    ],
    ['sock_shutdown', sig(2), () => Errno.Notsup],
    [
      'random_get',
      sig(2),
      (ptr: number, len: number) => {
        len >>>= 0;
        if (len > RANDOM_GET_MAX_BYTES) return Errno.Inval;
        if (len === 0) return Errno.Success;
        if (!mem.ok(ptr, len)) return Errno.Fault;
        randomFillSync(mem.u8, ptr >>> 0, len);
        return Errno.Success;
      },
    ],
    ['sched_yield', sig(0), () => Errno.Success],
    [
      'poll_oneoff',
      sig(4),
      (_i: number, _o: number, _n: number, nPtr: number) =>
        mem.setU32(nPtr, 0) ? Errno.Success : Errno.Fault,
    ],
    // cpp-host logs "proc_exit" and returns: the module keeps running (it usually traps next).
    ['proc_exit', sig(1, false), () => void trace('proc_exit')],
    ['path_open', I('i32 i32 i32 i32 i32 i64 i64 i32 i32 -> i32'), () => Errno.Noent],
    ['fd_prestat_get', sig(2), () => Errno.Badf],
    ['fd_prestat_dir_name', sig(3), () => Errno.Nosys],
    ['path_filestat_get', sig(5), () => Errno.Notsup],
    ['fd_filestat_get', sig(2), () => Errno.Badf],
  ];
  void WasmResult;
  return defs.map(([name, s, fn]) => [`${module}.${name}`, s, fn] as Def);
};
