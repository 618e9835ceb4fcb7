/**
 * One bidirectional-streaming gRPC call on an HTTP/2 stream: decoded request messages in order,
 * framed response messages out with the stream's own write backpressure (write() returns false
 * past the high-water mark; wait for 'drain'), and a status in the trailers at the end.
 */
import { EventEmitter } from 'node:events';
import type * as http2 from 'node:http2';
import { encodeGrpcMessage, GrpcError, Status, type StatusCode } from './grpc-status';
import { decompress, frameHeader, MessageReader, type Encoding } from './message-framing';

export interface ServerCallEvents {
  message: [payload: Buffer];
  /** The client half-closed its side. */
  end: [];
  /** The call ended without the server ending it (client cancel, connection loss). */
  cancelled: [];
  /** A transport-level problem with the request stream (oversized, undecompressable message). Not
   *  'error': an EventEmitter 'error' without a listener would crash the process. */
  failed: [err: GrpcError];
  drain: [];
  /** The HTTP/2 stream is gone, whoever ended it; with the status the server sent, if it sent one. */
  closed: [status: { code: number; message: string } | undefined];
}

export class ServerCall extends EventEmitter<ServerCallEvents> {
  readonly peer: string;
  /** Encoding the server may use for responses ('identity' when the client accepts none). */
  readonly responseEncoding: Encoding;
  private readonly reader: MessageReader;
  private queue: Promise<void> = Promise.resolve();
  private headersSent = false;
  private ended = false;
  private bytesOut = 0;
  private sentStatus: { code: number; message: string } | undefined;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly headers: http2.IncomingHttpHeaders,
    private readonly requestEncoding: Encoding,
    responseEncoding: Encoding,
    private readonly maxReceiveBytes: number,
  ) {
    super();
    this.responseEncoding = responseEncoding;
    const sock = stream.session?.socket;
    this.peer = sock ? `${sock.remoteAddress}:${sock.remotePort}` : 'unknown';
    this.reader = new MessageReader(maxReceiveBytes);
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.serialize(async () => void this.emit('end')));
    stream.on('drain', () => this.emit('drain'));
    stream.on('close', () => {
      if (!this.ended) {
        this.ended = true;
        this.emit('cancelled');
      }
      this.emit('closed', this.sentStatus);
    });
    stream.on('error', () => undefined); // surfaced through 'close'; an unhandled 'error' would crash the process
  }

  get isEnded(): boolean {
    return this.ended;
  }
  /** Payload bytes (including the 5-byte message prefixes) handed to HTTP/2 so far. */
  get bytesWritten(): number {
    return this.bytesOut;
  }
  /** Bytes written but not yet flushed to the peer (waiting on HTTP/2 flow control or the socket). */
  get writableLength(): number {
    return this.stream.writableLength;
  }

  metadata(name: string): string | undefined {
    const v = this.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  private onData(chunk: Buffer): void {
    let messages;
    try {
      messages = this.reader.push(chunk);
    } catch (err) {
      this.fail(err as GrpcError);
      return;
    }
    for (const m of messages) {
      this.serialize(async () => {
        const payload = m.compressed
          ? await decompress(m.payload, this.requestEncoding, this.maxReceiveBytes)
          : m.payload;
        if (!this.ended) this.emit('message', payload);
      });
    }
  }

  /** Keeps messages in order even when some need asynchronous decompression. */
  private serialize(step: () => Promise<void>): void {
    this.queue = this.queue
      .then(step)
      .catch((err) =>
        this.fail(err instanceof GrpcError ? err : new GrpcError(Status.INTERNAL, String(err))),
      );
  }

  private fail(err: GrpcError): void {
    if (this.ended) return;
    this.emit('failed', err);
    this.end(err.code, err.message);
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    const h: http2.OutgoingHttpHeaders = {
      ':status': 200,
      'content-type': 'application/grpc+proto',
      'grpc-accept-encoding': 'identity,deflate,gzip',
    };
    if (this.responseEncoding !== 'identity') h['grpc-encoding'] = this.responseEncoding;
    this.stream.respond(h, { waitForTrailers: true });
  }

  /**
   * Writes one message whose payload is already serialized (and compressed with responseEncoding
   * when `compressed`). Returns false when the caller should wait for 'drain' before writing more.
   */
  write(payload: Buffer, compressed: boolean): boolean {
    if (this.ended || this.stream.destroyed) return false;
    this.sendHeaders();
    this.bytesOut += payload.length + 5;
    this.stream.write(frameHeader(payload.length, compressed));
    return this.stream.write(payload);
  }

  /**
   * Writes one message already framed (5-byte prefix + payload, e.g. shared by many streams) with
   * a single HTTP/2 write. Returns false when the caller should wait for 'drain'.
   */
  writeFramed(framed: Buffer): boolean {
    if (this.ended || this.stream.destroyed) return false;
    this.sendHeaders();
    this.bytesOut += framed.length;
    return this.stream.write(framed);
  }

  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }

  /** Ends the call with a status; a no-op once ended. */
  end(code: StatusCode = Status.OK, message = ''): void {
    if (this.ended) return;
    this.ended = true;
    if (this.stream.destroyed || this.stream.closed) return;
    this.sentStatus = { code, message };
    const trailers: http2.OutgoingHttpHeaders = { 'grpc-status': String(code) };
    if (message) trailers['grpc-message'] = encodeGrpcMessage(message);
    if (!this.headersSent) {
      // Trailers-only response: headers and status in one HEADERS frame.
      this.headersSent = true;
      this.stream.respond(
        { ':status': 200, 'content-type': 'application/grpc+proto', ...trailers },
        { endStream: true },
      );
      return;
    }
    this.stream.once('wantTrailers', () => {
      if (!this.stream.destroyed) this.stream.sendTrailers(trailers);
    });
    this.stream.end();
  }
}
