/**
 * The client side of our gRPC transport: one HTTP/2 connection (h2c or TLS) to a server, opened
 * on first use and again after it is lost, carrying calls (client-call.ts). It sends what the
 * grpc-js client sends for a streaming call: POST, content-type application/grpc, te: trailers,
 * grpc-accept-encoding, the caller's metadata (authorization), and no grpc-timeout (the reference
 * client sets no deadline) and no keepalive pings (grpc-js sends none unless
 * grpc.keepalive_time_ms is set, and the reference client does not set it). Like grpc-js with the
 * reference client's options, it opens an 8 MiB stream and connection window and sets TCP_NODELAY.
 * Envoy's own gRPC client (envoy_grpc) is the same kind of thing: gRPC framing on its HTTP/2 codec.
 */
import * as http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { ClientCall } from './client-call';
import type { Encoding } from './message-framing';

export interface ClientTls {
  /** CA bundle (PEM) the server's certificate must chain to; default: Node's root store. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM), for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Name the server certificate must match (like grpc.ssl_target_name_override). */
  servername?: string;
}

export interface GrpcChannelOptions {
  /** TLS; absent = cleartext HTTP/2 (h2c). */
  tls?: ClientTls;
  /** :authority of every call (like grpc.default_authority); default the address. */
  authority?: string;
  /** HTTP/2 receive window of each stream and of the connection. Default 8 MiB. */
  windowBytes?: number;
  /** Largest response message accepted, after decompression. Default 64 MiB. */
  maxReceiveBytes?: number;
  /** Response compressions offered in grpc-accept-encoding. Default gzip and deflate, as grpc-js. */
  acceptEncodings?: Exclude<Encoding, 'identity'>[];
}

export const CLIENT_USER_AGENT = 'earmark-grpc-client/1';

export class GrpcChannel {
  private session: http2.ClientHttp2Session | undefined;
  private readonly window: number;
  private readonly accepted: Encoding[];

  constructor(
    private readonly address: string,
    private readonly opts: GrpcChannelOptions = {},
  ) {
    this.window = opts.windowBytes ?? 8 * 1024 * 1024;
    this.accepted = opts.acceptEncodings ?? ['deflate', 'gzip'];
  }

  /** Starts a call on the connection (opened now if there is none). */
  call(path: string, metadata: Record<string, string>): ClientCall {
    const headers: http2.OutgoingHttpHeaders = {
      ...metadata,
      ':method': 'POST',
      ':path': path,
      ':authority': this.opts.authority ?? this.address,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': CLIENT_USER_AGENT,
      'grpc-accept-encoding': ['identity', ...this.accepted].join(','),
    };
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.connection().request(headers, { endStream: false });
    } catch {
      // The connection was going away (GOAWAY received, closing): a new one takes the call.
      this.session?.destroy();
      this.session = undefined;
      stream = this.connection().request(headers, { endStream: false });
    }
    return new ClientCall(stream, this.accepted, this.opts.maxReceiveBytes ?? 64 * 1024 * 1024);
  }

  private connection(): http2.ClientHttp2Session {
    const old = this.session;
    if (old && !old.closed && !old.destroyed) return old;
    const tls = this.opts.tls;
    const s = http2.connect(`${tls ? 'https' : 'http'}://${this.address}`, {
      settings: { initialWindowSize: this.window, enablePush: false },
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      ...(tls
        ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, ALPNProtocols: ['h2'] }
        : {}),
    });
    s.on('error', () => undefined); // its calls end with UNAVAILABLE through their streams' 'close'
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    s.once('connect', (_s, socket) => {
      // 'connect' is emitted on the next tick: close() may have destroyed the session meanwhile.
      if (s.destroyed) return;
      (socket as TLSSocket).setNoDelay?.(true);
      s.setLocalWindowSize(this.window);
    });
    this.session = s;
    return s;
  }

  /** Closes the connection; calls still open end with UNAVAILABLE. */
  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }
}
