// HTTP host calls (cpp-host src/exports.cc; envoy common/wasm/context.cc): header maps, buffers,
// continue/close stream, local replies, route cache, http_call. Argument checks come first in
// cpp-host order (map type > MAX → BAD_ARGUMENT, then memory ranges → INVALID_MEMORY_ACCESS), then
// Envoy's availability rules (a map that is not available now → BAD_ARGUMENT).

import {
  BufferType as BufferTypeValues,
  HeaderMapType as HeaderMapTypeValues,
  StreamType as StreamTypeValues,
  WasmResult as WasmResultValues,
} from '../abi';
import type { HeaderMap } from '../header-map';
import { asciiLower } from '../latin1';
import { marshalPairs, pairsSize, parsePairs } from '../pairs';
import type { WasmVm } from '../vm';
import { sig, type Def } from './index';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const BufferType = BufferTypeValues;
const HeaderMapType = HeaderMapTypeValues;
const StreamType = StreamTypeValues;
const WasmResult = WasmResultValues;

export const httpImports = (vm: WasmVm): Def[] => {
  const mem = vm.mem;

  /** getMap/getConstMap for the current context: stream maps, or the root's gRPC metadata. */
  const mapOf = (type: number, mutable: boolean): HeaderMap | null => {
    const c = vm.ctx();
    if (type === HeaderMapType.GrpcReceiveInitialMetadata) return mutable ? null : c.root.grpcInitialMetadata;
    if (type === HeaderMapType.GrpcReceiveTrailingMetadata)
      return mutable ? null : c.root.grpcTrailingMetadata;
    return c.stream === null ? null : c.stream.getMap(type, mutable);
  };

  /**
   * add (addCopy), replace (setCopy) or remove a header; Envoy lower-cases the key. Returns the
   * map to change and leaves the key (and value) in `key`/`value`, or returns a WasmResult.
   */
  let key = '';
  let value = '';
  const target = (
    type: number,
    kPtr: number,
    kSize: number,
    vPtr: number,
    vSize: number,
  ): HeaderMap | number => {
    if (type >>> 0 > HeaderMapType.MAX) return WasmResult.BadArgument;
    const k = mem.latin1Lower(kPtr, kSize);
    const v = vSize === -1 ? '' : mem.latin1Value(vPtr, vSize | 0); // | 0: ok()'s int32 fast path
    if (k === undefined || v === undefined) return WasmResult.InvalidMemoryAccess;
    const map = mapOf(type, true);
    if (map === null) return WasmResult.BadArgument;
    key = k;
    value = v;
    return map;
  };

  const modified = (type: number): number => {
    const s = vm.ctx().stream;
    if (s !== null) s.headersModified(type);
    return WasmResult.Ok;
  };

  return [
    [
      'env.proxy_get_header_map_value',
      sig(5),
      (type: number, kPtr: number, kSize: number, ptrPtr: number, sizePtr: number) => {
        if (type >>> 0 > HeaderMapType.MAX) return WasmResult.BadArgument;
        if (!mem.ok(kPtr, kSize)) return WasmResult.InvalidMemoryAccess;
        const map = mapOf(type, false);
        // Not available now: BAD_ARGUMENT, except in the access-log phase where it is NOT_FOUND.
        if (map === null)
          return vm.ctx().stream?.accessLogPhase ? WasmResult.NotFound : WasmResult.BadArgument;
        const i = map.indexOfBytes(mem.u8, kPtr >>> 0, kSize >>> 0);
        if (i < 0) return WasmResult.NotFound;
        return vm.copyLatin1Out(map.kv[2 * i + 1], ptrPtr, sizePtr)
          ? WasmResult.Ok
          : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_add_header_map_value',
      sig(5),
      (type: number, kPtr: number, kSize: number, vPtr: number, vSize: number) => {
        const map = target(type, kPtr, kSize, vPtr, vSize >>> 0);
        if (typeof map === 'number') return map;
        map.addRaw(key, value);
        return modified(type);
      },
    ],
    [
      'env.proxy_replace_header_map_value',
      sig(5),
      (type: number, kPtr: number, kSize: number, vPtr: number, vSize: number) => {
        const map = target(type, kPtr, kSize, vPtr, vSize >>> 0);
        if (typeof map === 'number') return map;
        map.setRaw(key, value);
        return modified(type);
      },
    ],
    [
      'env.proxy_remove_header_map_value',
      sig(3),
      (type: number, kPtr: number, kSize: number) => {
        const map = target(type, kPtr, kSize, 0, -1);
        if (typeof map === 'number') return map;
        map.removeRaw(key);
        return modified(type);
      },
    ],
    [
      'env.proxy_get_header_map_pairs',
      sig(3),
      (type: number, ptrPtr: number, sizePtr: number) => {
        if (type >>> 0 > HeaderMapType.MAX) return WasmResult.BadArgument;
        const map = mapOf(type, false); // headerMapToPairs(nullptr) is an empty list, not an error
        if (map === null || map.size === 0) {
          return mem.setU32(ptrPtr, 0) && mem.setU32(sizePtr, 0)
            ? WasmResult.Ok
            : WasmResult.InvalidMemoryAccess;
        }
        const size = pairsSize(map.kv);
        const p = vm.alloc(size);
        if (p === 0) return WasmResult.InvalidMemoryAccess;
        marshalPairs(mem, p, map.kv);
        return mem.setU32(ptrPtr, p) && mem.setU32(sizePtr, size)
          ? WasmResult.Ok
          : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_set_header_map_pairs',
      sig(3),
      (type: number, ptr: number, size: number) => {
        if (type >>> 0 > HeaderMapType.MAX) return WasmResult.BadArgument;
        if (!mem.ok(ptr, size)) return WasmResult.InvalidMemoryAccess;
        const pairs = parsePairs(mem, ptr, size);
        const map = mapOf(type, true);
        if (map === null) return WasmResult.BadArgument;
        map.clear();
        for (let i = 0; i < pairs.keys.length; i++) map.addRaw(asciiLower(pairs.keys[i]), pairs.values[i]);
        vm.ctx().stream?.headersModified(type);
        return WasmResult.Ok;
      },
    ],
    [
      'env.proxy_get_header_map_size',
      sig(2),
      (type: number, ptr: number) => {
        if (type >>> 0 > HeaderMapType.MAX) return WasmResult.BadArgument;
        const map = mapOf(type, true);
        if (map === null) return WasmResult.BadArgument;
        return mem.setU32(ptr, map.byteSize()) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_get_buffer_bytes',
      sig(5),
      (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
        if (type >>> 0 > BufferType.MAX) return WasmResult.BadArgument;
        const buf = bufferOf(vm, type >>> 0);
        if (buf === null) return WasmResult.NotFound;
        start >>>= 0;
        length >>>= 0;
        if (start + length > 0xffffffff) return WasmResult.BadArgument; // 32-bit overflow check
        const size = buf.bytes.length;
        if (start > size) length = 0;
        else if (start + length > size) length = size - start;
        if (length === 0)
          return mem.setU32(ptrPtr, 0) && mem.setU32(sizePtr, 0)
            ? WasmResult.Ok
            : WasmResult.InvalidMemoryAccess;
        return vm.copyBytesOut(buf.bytes.subarray(start, start + length), ptrPtr, sizePtr)
          ? WasmResult.Ok
          : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_get_buffer_status',
      sig(3),
      (type: number, lengthPtr: number, flagsPtr: number) => {
        if (type >>> 0 > BufferType.MAX) return WasmResult.BadArgument;
        const buf = bufferOf(vm, type >>> 0);
        if (buf === null) return WasmResult.NotFound;
        if (!mem.setU32(lengthPtr, buf.bytes.length)) return WasmResult.InvalidMemoryAccess;
        return mem.setU32(flagsPtr, 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      },
    ],
    [
      'env.proxy_set_buffer_bytes',
      sig(5),
      (type: number, start: number, length: number, dPtr: number, dSize: number) => {
        if (type >>> 0 > BufferType.MAX) return WasmResult.BadArgument;
        const buf = bufferOf(vm, type >>> 0);
        if (buf === null) return WasmResult.NotFound;
        const data = mem.copyOut(dPtr, dSize);
        if (data === undefined) return WasmResult.InvalidMemoryAccess;
        return buf.set === undefined ? WasmResult.BadArgument : buf.set(start >>> 0, length >>> 0, data);
      },
    ],
    [
      'env.proxy_continue_stream',
      sig(1),
      (type: number) => {
        if (type >>> 0 > StreamType.MAX) return WasmResult.BadArgument;
        const s = vm.ctx().stream;
        return s === null
          ? type >>> 0 === StreamType.Upstream
            ? WasmResult.Unimplemented
            : WasmResult.Ok
          : s.continueStream(type >>> 0);
      },
    ],
    [
      'env.proxy_close_stream',
      sig(1),
      (type: number) => {
        if (type >>> 0 > StreamType.MAX) return WasmResult.BadArgument;
        const s = vm.ctx().stream;
        return s === null ? WasmResult.Ok : s.closeStream(type >>> 0);
      },
    ],
    [
      'env.proxy_send_local_response',
      sig(8),
      (
        code: number,
        dPtr: number,
        dSize: number,
        bPtr: number,
        bSize: number,
        hPtr: number,
        hSize: number,
        grpc: number,
      ) => {
        const details = mem.latin1(dPtr, dSize);
        const body = mem.copyOut(bPtr, bSize);
        if (details === undefined || body === undefined || !mem.ok(hPtr, hSize))
          return WasmResult.InvalidMemoryAccess;
        const headers = parsePairs(mem, hPtr, hSize);
        const s = vm.ctx().stream;
        if (s !== null) s.sendLocalResponse(code >>> 0, body, headers, grpc | 0, details);
        vm.stopIteration = true; // exports.cc: stopNextIteration(true), even without a stream
        return WasmResult.Ok;
      },
    ],
    [
      'env.proxy_clear_route_cache',
      sig(0),
      () => {
        vm.ctx().stream?.clearRouteCache();
        return WasmResult.Ok;
      },
    ],
    [
      'env.proxy_http_call',
      sig(10),
      (
        uPtr: number,
        uSize: number,
        hPtr: number,
        hSize: number,
        bPtr: number,
        bSize: number,
        tPtr: number,
        tSize: number,
        _timeout: number,
        tokenPtr: number,
      ) => {
        const uri = mem.latin1(uPtr, uSize);
        if (uri === undefined || !mem.ok(hPtr, hSize) || !mem.ok(bPtr, bSize) || !mem.ok(tPtr, tSize))
          return WasmResult.InvalidMemoryAccess;
        if (!mem.setU32(tokenPtr, 0)) return WasmResult.InvalidMemoryAccess;
        if (!vm.proc.grpc.hasCluster(uri)) return WasmResult.BadArgument; // envoy: unknown cluster
        vm.error(`proxy_http_call to cluster "${uri}": not implemented by this host (UNIMPLEMENTED)`);
        return WasmResult.Unimplemented;
      },
    ],
  ];
};

/** Context::getBuffer: what each buffer type refers to right now (null = NOT_FOUND). */
const bufferOf = (
  vm: WasmVm,
  type: number,
): { bytes: Uint8Array; set?: (s: number, l: number, d: Uint8Array) => number } | null => {
  const c = vm.ctx();
  switch (type) {
    case BufferType.VmConfiguration:
      return { bytes: vm.code.vmConfiguration };
    case BufferType.PluginConfiguration: {
      const p = c.plugin ?? c.root.plugin;
      return c.tempPlugin && p ? { bytes: p.configuration } : null;
    }
    case BufferType.GrpcReceiveBuffer:
      return { bytes: c.root.grpcReceiveBuffer ?? EMPTY };
    case BufferType.HttpRequestBody:
    case BufferType.HttpResponseBody:
      return c.stream?.getBuffer(type) ?? { bytes: EMPTY };
    case BufferType.NetworkDownstreamData:
    case BufferType.NetworkUpstreamData:
      return { bytes: EMPTY };
    case BufferType.CallData:
      return { bytes: EMPTY };
    default:
      return null; // HttpCallResponseBody: no http_call responses in this host
  }
};

const EMPTY = new Uint8Array(0);
