// gRPC callouts from a root context: proxy_grpc_stream / send / close / cancel. Envoy frames and
// unframes messages itself; the module sends and receives bare protobuf messages.
import * as env from './imports/env';
import { Blob, ByteWriter } from '../lib/bytes';
import { ProtoWriter } from '../lib/protobuf';
import { encodePairs } from './serde';
import { WasmResult } from './types';

const tokenSlot: usize = memory.data(4, 4);

/**
 * The `grpc_service` argument: a serialized envoy.config.core.v3.GrpcService
 * { envoy_grpc (1) { cluster_name (1), authority (2) } }. Envoy also accepts a bare cluster name,
 * but only when those bytes fail to parse as a GrpcService, which a name may not.
 */
export function encodeGrpcService(cluster: string, authority: string): Blob {
  const inner = new ProtoWriter(64);
  inner.stringField(1, cluster);
  if (authority.length > 0) inner.stringField(2, authority);
  const outer = new ProtoWriter(96);
  outer.bytesField(1, inner.w.ptr, inner.w.len);
  return Blob.copyOf(outer.w.ptr, outer.w.len);
}

/** Initial metadata as header pairs; `kv` holds key, value, key, value... */
export function encodeMetadata(kv: Array<Blob>): Blob {
  const w = new ByteWriter(128);
  encodePairs(w, kv);
  return Blob.copyOf(w.ptr, w.len);
}

/** Opens a stream; returns its token, or -(WasmResult) when the host refused. */
export function openStream(service: Blob, serviceName: Blob, method: Blob, metadata: Blob): i64 {
  const r = env.proxy_grpc_stream(
    service.ptr,
    service.len,
    serviceName.ptr,
    serviceName.len,
    method.ptr,
    method.len,
    metadata.ptr,
    metadata.len,
    tokenSlot,
  );
  if (r != WasmResult.Ok) return -(<i64>r);
  return <i64>load<u32>(tokenSlot);
}

export function send(token: u32, ptr: usize, len: usize, endStream: bool): u32 {
  return env.proxy_grpc_send(token, ptr, len, endStream ? 1 : 0);
}

export function close(token: u32): u32 {
  return env.proxy_grpc_close(token);
}

export function cancel(token: u32): u32 {
  return env.proxy_grpc_cancel(token);
}
