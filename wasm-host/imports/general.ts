// General host calls (cpp-host src/exports.cc; envoy common/wasm/context.cc): logging and log level,
// status, properties, time and ticks, effective context, proxy_done, foreign functions, metrics.

import {
  LogLevel as LogLevelValues,
  MetricType as MetricTypeValues,
  WasmResult as WasmResultValues,
} from '../abi';
import { Metrics } from '../metrics';
import { getProperty } from '../properties';
import type { WasmVm } from '../vm';
import { sig, type Def } from './index';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const LogLevel = LogLevelValues;
const MetricType = MetricTypeValues;
const WasmResult = WasmResultValues;

// Envoy registers these foreign functions (source/extensions/common/wasm/foreign.cc); this host
// does not implement them and says so loudly instead of pretending they are unknown.
const ENVOY_FOREIGN = new Set([
  'compress',
  'uncompress',
  'declare_property',
  'set_envoy_filter_state',
  'clear_route_cache',
]);

export const generalImports = (vm: WasmVm): Def[] => {
  const mem = vm.mem;
  const logs = vm.proc.logSink;
  const metrics = vm.proc.metrics;
  const nsWords = new Uint32Array(2); // time as [low, high] words, reused per call

  const log = (level: number, ptr: number, size: number): number => {
    level >>>= 0;
    if (level > LogLevel.critical) return WasmResult.BadArgument;
    if (!mem.ok(ptr, size)) return WasmResult.InvalidMemoryAccess;
    if (!logs.enabled(level)) return WasmResult.Ok;
    const c = vm.ctx();
    const p = c.plugin ?? c.root.plugin;
    const text = Buffer.from(mem.u8.subarray(ptr >>> 0, (ptr >>> 0) + (size >>> 0))).toString('utf8');
    logs.write(level, 'wasm', vm.thread.name, text, p ? p.tags : { vmId: vm.code.vmId });
    return WasmResult.Ok;
  };

  return [
    ['env.proxy_log', sig(3), log],
    [
      'env.proxy_get_log_level',
      sig(1),
      (ptr: number) => (mem.setU32(ptr, logs.level) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess),
    ],
    [
      'env.proxy_get_status',
      sig(3),
      (codePtr: number, ptrPtr: number, sizePtr: number) => {
        const root = vm.ctx().root;
        if (!mem.setU32(codePtr, root.statusCode)) return WasmResult.InvalidMemoryAccess;
        return vm.copyLatin1Out(root.statusMessage, ptrPtr, sizePtr)
          ? WasmResult.Ok
          : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_get_property',
      sig(4),
      (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
        const path = mem.latin1(pathPtr, pathSize);
        if (path === undefined) return WasmResult.InvalidMemoryAccess;
        const parts: string[] = [];
        for (let start = 0; start < path.length;) {
          let end = path.indexOf('\u0000', start);
          if (end < 0) end = path.length;
          parts.push(path.slice(start, end));
          start = end + 1;
        }
        const value = getProperty(vm.ctx(), parts);
        if (value === undefined) return WasmResult.NotFound;
        if (value === null) return WasmResult.SerializationFailure;
        return vm.copyBytesOut(value, ptrPtr, sizePtr) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_set_property',
      sig(4),
      (kPtr: number, kSize: number, vPtr: number, vSize: number) => {
        const key = mem.latin1(kPtr, kSize);
        const value = mem.copyOut(vPtr, vSize);
        if (key === undefined || value === undefined) return WasmResult.InvalidMemoryAccess;
        const stream = vm.ctx().stream;
        return stream === null ? WasmResult.NotFound : stream.setProperty(key, value);
      },
    ],
    [
      'env.proxy_set_tick_period_milliseconds',
      sig(1),
      (period: number) => {
        vm.proc.setTickPeriod(vm.ctx().root, period >>> 0);
        return WasmResult.Ok;
      },
    ],
    [
      'env.proxy_get_current_time_nanoseconds',
      sig(1),
      (ptr: number) => {
        vm.proc.clock.nowNsWords(nsWords); // two u32 words: no BigInt per call
        return mem.setU64Words(ptr, nsWords) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_set_effective_context',
      sig(1),
      (id: number) => {
        id >>>= 0;
        if (!vm.contexts.has(id)) return WasmResult.BadArgument;
        vm.effectiveId = id;
        return WasmResult.Ok;
      },
    ],
    // WasmBase::done: only a root context waiting after proxy_on_done returned false can finish.
    ['env.proxy_done', sig(0), () => vm.proc.rootDone(vm, vm.ctx())],
    [
      'env.proxy_call_foreign_function',
      sig(6),
      (namePtr: number, nameSize: number, argPtr: number, argSize: number) => {
        const name = mem.latin1(namePtr, nameSize);
        if (name === undefined || !mem.ok(argPtr, argSize)) return WasmResult.InvalidMemoryAccess;
        if (ENVOY_FOREIGN.has(name)) {
          vm.error(
            `proxy_call_foreign_function("${name}"): Envoy provides it, this host does not (UNIMPLEMENTED)`,
          );
          return WasmResult.Unimplemented;
        }
        return WasmResult.NotFound;
      },
    ],
    [
      'env.proxy_define_metric',
      sig(4),
      (type: number, namePtr: number, nameSize: number, idPtr: number) => {
        const name = mem.latin1(namePtr, nameSize);
        if (name === undefined) return WasmResult.InvalidMemoryAccess;
        type >>>= 0;
        if (type > MetricType.MAX) return WasmResult.BadArgument;
        const kind =
          type === MetricType.Counter ? 'counter' : type === MetricType.Gauge ? 'gauge' : 'histogram';
        const id = vm.nextMetric(type);
        vm.metricsById.set(id, metrics.define(kind, Buffer.from(name, 'latin1').toString('utf8')));
        return mem.setU32(idPtr, id) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_increment_metric',
      'i32 i64 -> i32',
      (id: number, offset: bigint) => {
        id >>>= 0;
        const type = id & 3;
        const stat = vm.metricsById.get(id);
        if (type === MetricType.Counter) {
          if (stat === undefined) return WasmResult.NotFound;
          if (offset <= 0n) return WasmResult.BadArgument;
          stat.value += Number(offset);
          return WasmResult.Ok;
        }
        if (type === MetricType.Gauge) {
          if (stat === undefined) return WasmResult.NotFound;
          stat.value += Number(offset);
          return WasmResult.Ok;
        }
        return WasmResult.BadArgument;
      },
    ],
    [
      'env.proxy_record_metric',
      'i32 i64 -> i32',
      (id: number, value: bigint) => {
        const stat = vm.metricsById.get(id >>> 0);
        if (stat === undefined) return WasmResult.NotFound;
        const v = Number(BigInt.asUintN(64, value));
        if (stat.kind === 'counter') stat.value += v;
        else if (stat.kind === 'gauge') stat.value = v;
        else Metrics.record(stat, v);
        return WasmResult.Ok;
      },
    ],
    [
      'env.proxy_get_metric',
      sig(2),
      (id: number, ptr: number) => {
        id >>>= 0;
        const type = id & 3;
        if (type !== MetricType.Counter && type !== MetricType.Gauge) return WasmResult.BadArgument;
        const stat = vm.metricsById.get(id);
        if (stat === undefined) return WasmResult.NotFound;
        return mem.setU64(ptr, BigInt.asUintN(64, BigInt(Math.trunc(stat.value))))
          ? WasmResult.Ok
          : WasmResult.InvalidMemoryAccess;
      },
    ],
    ['env.pthread_equal', sig(2), (a: number, b: number) => (a === b ? 1 : 0)],
    ['env.emscripten_notify_memory_growth', sig(1, false), () => undefined],
  ];
};
