/**
 * A small gRPC server on node:http2 for Earmark's two bidirectional streams. It exists because the
 * grpc-js 1.14 server never compresses responses (server-interceptors.js writes the compressed flag
 * as 0), and a full plan only meets its wire budget with gRPC message compression. It does exactly
 * what those streams need: routing by :path, a metadata (auth) check before the handler, request
 * decompression, response-encoding negotiation via grpc-accept-encoding, h2c or TLS, and an orderly
 * shutdown. Any gRPC client (grpc-js, Envoy's envoy_grpc and google_grpc) speaks to it unchanged.
 */
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { GrpcError, Status, encodeGrpcMessage } from './grpc-status';
import { SUPPORTED_ENCODINGS, type Encoding } from './message-framing';
import { ServerCall } from './server-call';

export type CallHandler = (call: ServerCall) => void;
/** Inspects request metadata before the handler runs; throw GrpcError to refuse the call. */
export type CallGate = (path: string, headers: http2.IncomingHttpHeaders) => void;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle to verify client certificates against (mutual TLS when requireClientCert). */
  caFile?: string;
  requireClientCert?: boolean;
}

export interface GrpcServerOptions {
  tls?: TlsFiles;
  /** Largest request message accepted, after decompression. Default 16 MiB. */
  maxReceiveBytes?: number;
  /** Response encodings in order of preference, used when the client accepts them. Default gzip, deflate. */
  compression?: Exclude<Encoding, 'identity'>[];
  gate?: CallGate;
}

function readTlsFile(field: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read TLS ${field} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function pickEncoding(accept: string | undefined, preferred: Encoding[]): Encoding {
  if (!accept) return 'identity';
  const offered = new Set(accept.split(',').map((s) => s.trim().toLowerCase()));
  return preferred.find((e) => offered.has(e)) ?? 'identity';
}

function trailersOnly(
  stream: http2.ServerHttp2Stream,
  code: number,
  message: string,
  extra: http2.OutgoingHttpHeaders = {},
) {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc+proto',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(message),
      ...extra,
    },
    { endStream: true },
  );
}

export class GrpcServer {
  private readonly http: http2.Http2Server | http2.Http2SecureServer;
  private readonly handlers = new Map<string, CallHandler>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly calls = new Set<ServerCall>();
  private readonly maxReceiveBytes: number;
  private readonly preferred: Encoding[];
  private readonly gate?: CallGate;
  private stopping = false;

  constructor(opts: GrpcServerOptions = {}) {
    this.maxReceiveBytes = opts.maxReceiveBytes ?? 16 * 1024 * 1024;
    this.preferred = opts.compression ?? ['gzip', 'deflate'];
    this.gate = opts.gate;
    const settings: http2.Settings = { initialWindowSize: 1024 * 1024, maxConcurrentStreams: 100 };
    if (opts.tls) {
      const t = opts.tls;
      this.http = http2.createSecureServer({
        cert: readTlsFile('certFile', t.certFile),
        key: readTlsFile('keyFile', t.keyFile),
        ca: t.caFile ? readTlsFile('caFile', t.caFile) : undefined,
        requestCert: Boolean(t.requireClientCert),
        rejectUnauthorized: Boolean(t.requireClientCert),
        ALPNProtocols: ['h2'],
        settings,
      });
    } else {
      this.http = http2.createServer({ settings });
    }
    // No Nagle: a response's last segment, and small frames (SETTINGS, WINDOW_UPDATE, trailers),
    // must not wait for the peer's delayed ACK (up to 40 ms on Linux).
    this.http.on('connection', (socket: { setNoDelay?: (on: boolean) => void }) => socket.setNoDelay?.(true));
    this.http.on('session', (s: http2.ServerHttp2Session) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      s.on('error', () => undefined); // the session closes; its calls see 'close'
    });
    this.http.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /** Registers the handler for a method path such as /earmark.v1.UsageReportingService/StreamUsage. */
  handle(path: string, handler: CallHandler): void {
    this.handlers.set(path, handler);
  }

  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    const contentType = String(headers['content-type'] ?? '');
    if (headers[':method'] !== 'POST' || !contentType.startsWith('application/grpc')) {
      if (!stream.headersSent) stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    if (this.stopping) return trailersOnly(stream, Status.UNAVAILABLE, 'server is shutting down');
    const handler = this.handlers.get(path);
    if (!handler) return trailersOnly(stream, Status.UNIMPLEMENTED, `unknown method ${path}`);
    const reqEncoding = String(headers['grpc-encoding'] ?? 'identity').toLowerCase() as Encoding;
    if (!SUPPORTED_ENCODINGS.includes(reqEncoding)) {
      return trailersOnly(stream, Status.UNIMPLEMENTED, `unsupported grpc-encoding ${reqEncoding}`, {
        'grpc-accept-encoding': SUPPORTED_ENCODINGS.join(','),
      });
    }
    try {
      this.gate?.(path, headers);
    } catch (err) {
      const e = err instanceof GrpcError ? err : new GrpcError(Status.INTERNAL, String(err));
      return trailersOnly(stream, e.code, e.message);
    }
    const accept = headers['grpc-accept-encoding'];
    const respEncoding = pickEncoding(Array.isArray(accept) ? accept.join(',') : accept, this.preferred);
    const call = new ServerCall(stream, headers, reqEncoding, respEncoding, this.maxReceiveBytes);
    this.calls.add(call);
    stream.on('close', () => this.calls.delete(call));
    handler(call);
  }

  /**
   * Stops accepting calls, ends open ones with UNAVAILABLE (clients reconnect elsewhere or later),
   * and closes every connection; connections still open after graceMs are destroyed.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    for (const c of this.calls) c.end(Status.UNAVAILABLE, 'server is shutting down');
    for (const s of this.sessions) s.close();
    const timer = setTimeout(() => {
      for (const s of this.sessions) s.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }

  /** Drops every connection at once, without ending calls: what a crash looks like to the proxies. */
  async kill(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((r) => this.http.close(() => r()));
    for (const s of this.sessions) s.destroy();
    await closed;
  }
}
