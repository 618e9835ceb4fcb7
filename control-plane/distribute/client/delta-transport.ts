/**
 * How the reference client opens its DeltaReservations stream. Two transports speak the same
 * gRPC on the wire: @grpc/grpc-js (the default, and what the protocol tests use: the issue asks
 * for real grpc-js clients), and our own client transport on node:http2 (transport/grpc-channel.ts),
 * which is what an Envoy is closer to (its envoy_grpc client frames gRPC on its own HTTP/2 codec)
 * and which the distribution benchmark's emulated proxies use: it has none of grpc-js's
 * per-message layers (filters, retry and load-balancing wrappers) and its copies.
 * Messages are bytes both ways: the client serializes its requests itself.
 */
import * as grpc from '@grpc/grpc-js';
import { GrpcChannel, type GrpcChannelOptions } from '../transport/grpc-channel';
import { DELTA_RESERVATIONS_PATH } from '../protos';

/** What the client does with a call's events. */
export interface CallSink {
  message(bytes: Buffer): void;
  /** Called once when the call is over, whoever ended it. */
  status(code: number, details: string): void;
}

export interface DeltaCall {
  write(bytes: Buffer): void;
  pause(): void;
  resume(): void;
  /** Ends the call from the client; the sink then sees CANCELLED. */
  cancel(): void;
}

export interface DeltaTransport {
  /** Message bytes are lent for the length of sink.message() only (the http2 transport's reused buffer). */
  readonly lendsMessages: boolean;
  open(metadata: Record<string, string>, sink: CallSink): DeltaCall;
  close(): void;
}

export interface GrpcJsTransportOptions {
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
}

export function grpcJsTransport(address: string, opts: GrpcJsTransportOptions = {}): DeltaTransport {
  const client = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    // Like Envoy (256 MiB by default), let a whole plan chunk arrive without waiting for
    // WINDOW_UPDATEs from a busy event loop; grpc-js's default window is 64 KiB.
    'grpc-node.flow_control_window': 8 * 1024 * 1024,
    ...opts.channelOptions,
  });
  const same = (b: Buffer) => b;
  return {
    lendsMessages: false,
    open(metadata, sink) {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(metadata)) md.set(k, v);
      const call = client.makeBidiStreamRequest(DELTA_RESERVATIONS_PATH, same, same, md, {});
      let ended = false;
      const end = (code: number, details: string) => {
        if (ended) return;
        ended = true;
        sink.status(code, details);
      };
      call.on('data', (bytes: Buffer) => sink.message(bytes));
      call.on('status', (s: grpc.StatusObject) => end(s.code, s.details));
      call.on('error', (e: grpc.ServiceError) => end(e.code ?? grpc.status.UNKNOWN, e.details ?? e.message));
      return call;
    },
    close: () => client.close(),
  };
}

export function http2Transport(address: string, opts: GrpcChannelOptions = {}): DeltaTransport {
  const channel = new GrpcChannel(address, opts);
  return {
    lendsMessages: true,
    open(metadata, sink) {
      const call = channel.call(DELTA_RESERVATIONS_PATH, metadata);
      call.on('message', (bytes) => sink.message(bytes));
      call.on('status', (s) => sink.status(s.code, s.details));
      return call;
    },
    close: () => channel.close(),
  };
}
