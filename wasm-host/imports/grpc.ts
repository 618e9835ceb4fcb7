// gRPC host calls (cpp-host src/exports.cc grpc_*; envoy common/wasm/context.cc grpcCall,
// grpcStream, grpcSend, grpcClose, grpcCancel). Calls and streams belong to the root context of
// the caller; tokens come from per-VM counters with the callout type in the low two bits.

import { CalloutType as CalloutTypeValues, WasmResult as WasmResultValues } from '../abi';
import { parseGrpcService } from '../grpc-service';
import { parsePairs } from '../pairs';
import type { GrpcTarget } from '../process-core';
import type { WasmVm } from '../vm';
import { sig, type Def } from './index';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const CalloutType = CalloutTypeValues;
const WasmResult = WasmResultValues;

const isCall = (t: number): boolean => (t & 3) === CalloutType.GrpcCall;
const isStream = (t: number): boolean => (t & 3) === CalloutType.GrpcStream;

export const grpcImports = (vm: WasmVm): Def[] => {
  const mem = vm.mem;
  const bridge = vm.proc.grpc;

  /** GrpcService bytes → target; a non-message that names a known cluster is that cluster. */
  const target = (bytes: Uint8Array): GrpcTarget | number => {
    const parsed = parseGrpcService(bytes);
    if (parsed !== undefined) return parsed;
    const name = Buffer.from(bytes).toString('latin1');
    if (!bridge.hasCluster(name)) return WasmResult.ParseFailure;
    return { cluster: name, metadata: [] };
  };

  const start = (
    kind: 'call' | 'stream',
    sPtr: number,
    sSize: number,
    nPtr: number,
    nSize: number,
    mPtr: number,
    mSize: number,
    mdPtr: number,
    mdSize: number,
    reqPtr: number,
    reqSize: number,
    timeout: number,
    tokenPtr: number,
  ): number => {
    const root = vm.ctx().root;
    const service = mem.copyOut(sPtr, sSize);
    const name = mem.latin1(nPtr, nSize);
    const method = mem.latin1(mPtr, mSize);
    const request = kind === 'call' ? mem.copyOut(reqPtr, reqSize) : null;
    if (
      service === undefined ||
      name === undefined ||
      method === undefined ||
      !mem.ok(mdPtr, mdSize) ||
      (kind === 'call' && request === undefined)
    ) {
      return WasmResult.InvalidMemoryAccess;
    }
    const md = parsePairs(mem, mdPtr, mdSize);
    const t = target(service);
    if (typeof t === 'number') return t;
    const token = vm.nextCallout(kind === 'call' ? CalloutType.GrpcCall : CalloutType.GrpcStream);
    const metadata: Array<[string, string]> = md.keys.map((k, i) => [k, md.values[i]]);
    const r = bridge.start(root, {
      kind,
      token,
      target: t,
      service: name,
      method,
      metadata,
      request: request ?? null,
      timeoutMs: timeout >>> 0,
    });
    if (r !== WasmResult.Ok) return r;
    return mem.setU32(tokenPtr, token) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  };

  return [
    [
      'env.proxy_grpc_call',
      sig(12),
      (
        a: number,
        b: number,
        c: number,
        d: number,
        e: number,
        f: number,
        g: number,
        h: number,
        i: number,
        j: number,
        k: number,
        l: number,
      ) => start('call', a, b, c, d, e, f, g, h, i, j, k, l),
    ],
    [
      'env.proxy_grpc_stream',
      sig(9),
      (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) =>
        start('stream', a, b, c, d, e, f, g, h, 0, 0, 0, i),
    ],
    [
      'env.proxy_grpc_send',
      sig(4),
      (token: number, ptr: number, size: number, end: number) => {
        const msg = mem.copyOut(ptr, size);
        if (msg === undefined) return WasmResult.InvalidMemoryAccess;
        token >>>= 0;
        if (!isStream(token)) return WasmResult.BadArgument;
        const h = vm.ctx().root.grpc.get(token);
        if (h === undefined) return WasmResult.NotFound;
        h.send(msg, end !== 0);
        return WasmResult.Ok;
      },
    ],
    [
      'env.proxy_grpc_close',
      sig(1),
      (token: number) => {
        token >>>= 0;
        const root = vm.ctx().root;
        const h = root.grpc.get(token);
        if (isCall(token)) {
          if (h === undefined) return WasmResult.NotFound;
          h.cancel();
          root.grpc.delete(token);
          return WasmResult.Ok;
        }
        if (isStream(token)) {
          if (h === undefined) return WasmResult.NotFound;
          h.close();
          if (h.remoteClosed) root.grpc.delete(token);
          else h.localClosed = true;
          return WasmResult.Ok;
        }
        return WasmResult.BadArgument;
      },
    ],
    [
      'env.proxy_grpc_cancel',
      sig(1),
      (token: number) => {
        token >>>= 0;
        const root = vm.ctx().root;
        if (!isCall(token) && !isStream(token)) return WasmResult.BadArgument;
        const h = root.grpc.get(token);
        if (h === undefined) return WasmResult.NotFound;
        h.cancel();
        root.grpc.delete(token);
        return WasmResult.Ok;
      },
    ],
  ];
};
