// proxy_grpc_call / proxy_grpc_stream as real @grpc/grpc-js calls. The GrpcService names an
// upstream (envoy_grpc.cluster_name through the process's cluster map, or google_grpc.target_uri);
// bytes pass through untouched (pass-through serializers). Responses are posted to the calling
// VM's thread and delivered to the root context that made the call, as Envoy's async client does
// (envoy common/wasm/context.h GrpcCallClientHandler / GrpcStreamClientHandler):
//   unary: success → on_grpc_receive only; failure → on_grpc_close(status)
//   stream: initial metadata → message* → trailing metadata → on_grpc_close(status)
// A stream answered without response headers (trailers-only: a status such as UNIMPLEMENTED, or
// Envoy's own trailers-only reply for an unreachable upstream) still gets initial metadata first,
// as an empty map: AsyncStreamImpl::onHeaders (common/grpc/async_client_impl.cc) reports empty
// initial metadata for an end_stream or non-200 response before its trailers or stream error.
// An unknown cluster fails the start with INTERNAL_FAILURE and reports UNAVAILABLE through
// on_grpc_close after the current callback (AsyncStreamImpl::initialize on a missing cluster).

import * as grpc from '@grpc/grpc-js';
import { WasmResult } from './abi';
import type { Context, GrpcHandle } from './context';
import { HeaderMap } from './header-map';
import type { GrpcStarter, GrpcStartRequest } from './process-core';
import * as cb from './root-callbacks';

const passThrough = (b: Buffer | Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b));

export class GrpcBridge implements GrpcStarter {
  private readonly clusters = new Map<string, string>();
  private readonly clients = new Map<string, grpc.Client>();
  /** Calls started and still open, for observation and close(). */
  readonly active = new Set<GrpcHandle>();
  started = 0;

  constructor(
    clusters: Record<string, string>,
    /** Post a task to the VM's thread and make sure it runs soon. */
    private readonly deliver: (root: Context, task: () => void) => void,
  ) {
    for (const [k, v] of Object.entries(clusters)) this.clusters.set(k, v);
  }

  addCluster(name: string, address: string): void {
    this.clusters.set(name, address);
  }

  hasCluster(name: string): boolean {
    return this.clusters.has(name);
  }

  private client(address: string): grpc.Client {
    let c = this.clients.get(address);
    if (c === undefined) {
      c = new grpc.Client(address, grpc.credentials.createInsecure());
      this.clients.set(address, c);
    }
    return c;
  }

  start(root: Context, req: GrpcStartRequest): number {
    const { kind, token, target, service, method, metadata, request, timeoutMs } = req;
    const vm = root.vm;
    let address: string | undefined;
    if (target.targetUri !== undefined) address = target.targetUri === '' ? undefined : target.targetUri;
    else if (target.cluster !== undefined) {
      address = this.clusters.get(target.cluster);
      if (address === undefined) {
        vm.addAfterCall(() =>
          cb.grpcClose(vm, root, token, grpc.status.UNAVAILABLE, 'Cluster not available'),
        );
        return WasmResult.InternalFailure;
      }
    } else return WasmResult.BadArgument; // neither envoy_grpc nor google_grpc: no client
    if (address === undefined) return WasmResult.BadArgument;

    const md = new grpc.Metadata();
    for (const [k, v] of [...target.metadata, ...metadata]) {
      const key = k.toLowerCase();
      if (key.startsWith(':')) continue;
      if (key.endsWith('-bin')) md.add(key, Buffer.from(v, 'latin1'));
      else md.add(key, v);
    }
    const path = `/${service}/${method}`;
    const client = this.client(address);
    let cancelled = false;
    const post = (task: () => void): void => this.deliver(root, () => !cancelled && task());
    const handle: GrpcHandle = {
      token,
      localClosed: false,
      remoteClosed: false,
      cancel: () => {
        cancelled = true;
        call.cancel();
        this.active.delete(handle);
      },
      close: () => {
        if (kind === 'stream') (call as grpc.ClientDuplexStream<Buffer, Buffer>).end();
        else handle.cancel();
      },
      send: (message, end) => {
        if (kind !== 'stream' || handle.localClosed) return;
        const s = call as grpc.ClientDuplexStream<Buffer, Buffer>;
        s.write(Buffer.from(message));
        if (end) s.end();
      },
    };
    let call: grpc.ClientUnaryCall | grpc.ClientDuplexStream<Buffer, Buffer>;
    const effTimeout = target.timeoutMs ?? timeoutMs;
    if (kind === 'call') {
      const options: grpc.CallOptions = effTimeout > 0 ? { deadline: Date.now() + effTimeout } : {};
      call = client.makeUnaryRequest(
        path,
        passThrough,
        passThrough,
        Buffer.from(request!),
        md,
        options,
        (err, resp) => {
          this.active.delete(handle);
          if (err)
            post(() =>
              cb.grpcClose(vm, root, token, err.code ?? grpc.status.UNKNOWN, err.details ?? err.message),
            );
          else post(() => cb.grpcReceive(vm, root, token, new Uint8Array(resp ?? Buffer.alloc(0))));
        },
      );
    } else {
      const s = client.makeBidiStreamRequest(path, passThrough, passThrough, md, {});
      call = s;
      let headersSeen = false; // grpc-js emits 'metadata' only for real response headers
      s.on('metadata', (m: grpc.Metadata) => {
        headersSeen = true;
        post(() => cb.grpcMetadata(vm, root, token, initialMap(m), false));
      });
      s.on('data', (d: Buffer) => post(() => cb.grpcReceive(vm, root, token, new Uint8Array(d))));
      s.on('error', () => undefined); // the status event carries the outcome
      s.on('status', (st: grpc.StatusObject) => {
        this.active.delete(handle);
        st = { ...st, details: grpcMessage(st) };
        // Its own task, as real headers would be: a cancel from that callback stops the rest.
        if (!headersSeen) post(() => cb.grpcMetadata(vm, root, token, new HeaderMap(), false));
        post(() => {
          handle.remoteClosed = true;
          cb.grpcMetadata(vm, root, token, trailerMap(st), true);
          cb.grpcClose(vm, root, token, st.code, st.details ?? '');
        });
      });
    }
    root.grpc.set(token, handle);
    this.active.add(handle);
    this.started++;
    return WasmResult.Ok;
  }

  close(): void {
    for (const h of [...this.active]) h.cancel();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** grpc-js reports "OK" when the server sent no grpc-message; Envoy passes the (empty) header. */
const grpcMessage = (st: grpc.StatusObject): string =>
  st.code === grpc.status.OK && st.details === 'OK' ? '' : (st.details ?? '');

const addMetadata = (map: HeaderMap, m: grpc.Metadata): void => {
  for (const [k, v] of Object.entries(m.getMap())) {
    map.addRaw(
      k,
      Buffer.isBuffer(v) ? v.toString('latin1') : Buffer.from(String(v), 'utf8').toString('latin1'),
    );
  }
};

/** Response headers as Envoy's HTTP/2 codec would present them. */
const initialMap = (m: grpc.Metadata): HeaderMap => {
  const map = HeaderMap.from([
    [':status', '200'],
    ['content-type', 'application/grpc'],
  ]);
  addMetadata(map, m);
  return map;
};

/** Trailers including grpc-status / grpc-message, which grpc-js strips from the metadata. */
const trailerMap = (st: grpc.StatusObject): HeaderMap => {
  const map = HeaderMap.from([['grpc-status', String(st.code)]]);
  if (st.details) map.addRaw('grpc-message', Buffer.from(st.details, 'utf8').toString('latin1'));
  addMetadata(map, st.metadata);
  return map;
};
