// One long-lived gRPC stream to the control plane with reconnection: exponential backoff with
// jitter between attempts, reset once the server has answered. Envoy frames the messages; the
// bearer token travels as initial metadata (authorization: Bearer ...).
import * as grpc from '../abi/grpc';
import { log, logEnabled } from '../abi/hostcalls';
import { random64 } from '../abi/wasi';
import { LogLevel, WasmResult } from '../abi/types';
import { Blob } from '../lib/bytes';
import { StreamState } from '../plan/meta';

export class Channel {
  readonly name: string;
  readonly service: Blob;
  readonly serviceName: Blob;
  readonly method: Blob;
  readonly metadata: Blob;
  readonly backoffInitialMs: u64;
  readonly backoffMaxMs: u64;
  token: i64 = -1;
  state: StreamState = StreamState.Idle;
  failures: u32 = 0;
  retryAtMs: u64 = 0;
  /** Streams opened so far (the first open is not a reconnect). */
  opens: u64 = 0;

  constructor(
    name: string,
    service: Blob,
    serviceName: string,
    method: string,
    metadata: Blob,
    backoffInitialMs: u64,
    backoffMaxMs: u64,
  ) {
    this.name = name;
    this.service = service;
    this.serviceName = Blob.utf8(serviceName);
    this.method = Blob.utf8(method);
    this.metadata = metadata;
    this.backoffInitialMs = backoffInitialMs;
    this.backoffMaxMs = backoffMaxMs;
  }

  /** Opens the stream now; false (and a retry scheduled) when the host refuses. */
  open(now: u64): bool {
    this.opens++;
    if (logEnabled(LogLevel.Debug))
      log(
        LogLevel.Debug,
        'earmark: opening the ' + this.name + ' stream (attempt ' + this.opens.toString() + ')',
      );
    const t = grpc.openStream(this.service, this.serviceName, this.method, this.metadata);
    if (t < 0) {
      log(
        LogLevel.Warn,
        'earmark: cannot open the ' + this.name + ' stream (host result ' + (-t).toString() + ')',
      );
      this.scheduleRetry(now);
      return false;
    }
    this.token = t;
    this.state = StreamState.Connecting;
    return true;
  }

  is(token: u32): bool {
    return this.token >= 0 && <u32>this.token == token;
  }

  /** The server sent headers: the stream is up (a refusal may still follow as trailers). */
  headersReceived(): void {
    this.state = StreamState.Connected;
  }

  /** The server sent a message: it is up and serving, and the backoff starts over. */
  answered(): void {
    this.state = StreamState.Connected;
    this.failures = 0;
  }

  send(ptr: usize, len: usize): bool {
    if (this.token < 0) return false;
    return grpc.send(<u32>this.token, ptr, len, false) == WasmResult.Ok;
  }

  /**
   * The host closed the stream (on_grpc_close): close our side too, then schedule a reconnect.
   * Envoy erases a stream's handle after a remote close only if we closed it as well (context.cc
   * onGrpcCloseWrapper, grpcClose; the SDKs call close() in on_grpc_close). Left alone, every
   * reconnect leaked a handle pointing at a stream Envoy had already deleted, which the root
   * context's destructor then resets (shutdown, or a plugin change in embedded mode).
   */
  closed(now: u64): void {
    if (this.token >= 0) grpc.close(<u32>this.token);
    this.token = -1;
    this.scheduleRetry(now);
  }

  /** Closes the stream on our side (shutdown, lost leadership). */
  shutdown(): void {
    if (this.token >= 0) grpc.cancel(<u32>this.token);
    this.token = -1;
    this.state = StreamState.Idle;
  }

  /** Whether a reconnect is due. */
  due(now: u64): bool {
    return this.state == StreamState.Backoff && now >= this.retryAtMs;
  }

  private scheduleRetry(now: u64): void {
    this.state = StreamState.Backoff;
    let ceiling = this.backoffInitialMs;
    for (let i: u32 = 0; i < this.failures && ceiling < this.backoffMaxMs; i++) ceiling <<= 1;
    if (ceiling > this.backoffMaxMs) ceiling = this.backoffMaxMs;
    this.failures++;
    // "Equal jitter": half fixed, half random, so retries from many proxies spread out.
    const half = ceiling >> 1;
    const jitter = half > 0 ? random64() % (half + 1) : 0;
    this.retryAtMs = now + half + jitter;
  }
}
