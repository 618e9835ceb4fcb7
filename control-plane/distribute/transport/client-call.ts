/**
 * One bidirectional-streaming gRPC call from the client side, on a node:http2 stream: request
 * messages framed out (never compressed, as grpc-js sends them by default), response messages
 * deframed with the server's MessageReader and handed over one by one, and exactly one status at
 * the end: the server's grpc-status/grpc-message trailers, or one derived from what went wrong
 * (HTTP status, RST_STREAM, lost connection, a malformed message), as gRPC clients report them.
 */
import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import { decodeGrpcMessage, GrpcError, Status, statusOfHttp } from './grpc-status';
import { decompress, frameMessage, MessageReader, type Encoding } from './message-framing';

export interface CallStatus {
  code: number;
  details: string;
}

export interface ClientCallEvents {
  /**
   * A response message. Its bytes may be the call's reused reassembly buffer: valid only until the
   * listener returns (copy them to keep them).
   */
  message: [payload: Buffer];
  /** The call is over; emitted once, after every message received before it. */
  status: [status: CallStatus];
}

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM } =
  http2.constants;

function statusOfReset(rstCode: number): CallStatus {
  const code =
    rstCode === NGHTTP2_REFUSED_STREAM
      ? Status.UNAVAILABLE
      : rstCode === NGHTTP2_CANCEL
        ? Status.CANCELLED
        : rstCode === NGHTTP2_ENHANCE_YOUR_CALM
          ? Status.RESOURCE_EXHAUSTED
          : Status.INTERNAL;
  return { code, details: `stream reset by the server with HTTP/2 code ${rstCode}` };
}

const header = (h: http2.IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export class ClientCall extends EventEmitter<ClientCallEvents> {
  private readonly reader: MessageReader;
  /** The response's grpc-encoding, once its headers arrived. */
  private encoding: Encoding = 'identity';
  /** Pending decompressions: later messages wait behind them to keep their order. */
  private queue: Promise<void> | undefined;
  /** The status to report, once known (trailers, or the first failure or cancel). */
  private final: CallStatus | undefined;
  private reported = false;
  private readonly session: http2.Http2Session;

  constructor(
    private readonly stream: http2.ClientHttp2Stream,
    private readonly accepted: readonly Encoding[],
    private readonly maxReceiveBytes: number,
  ) {
    super();
    this.reader = new MessageReader(maxReceiveBytes, true);
    this.session = stream.session!; // stream.session is cleared once the stream is gone
    stream.on('response', (h) => this.onHeaders(h));
    stream.on('trailers', (h) => {
      this.checkWhole();
      this.onStatusHeaders(h);
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('error', () => undefined); // surfaced through 'close' as a status
    stream.on('close', () => this.onClose());
  }

  /** Writes one request message. Returns false when the stream's buffer is past its high-water mark. */
  write(payload: Uint8Array): boolean {
    if (this.final || this.stream.destroyed) return false;
    return this.stream.write(frameMessage(payload, false));
  }

  /** Stops reading responses: HTTP/2 flow control then holds the server back. */
  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }

  /** Ends the call from the client (RST_STREAM CANCEL); the status is CANCELLED. */
  cancel(): void {
    this.fail(new GrpcError(Status.CANCELLED, 'cancelled by the client'));
  }

  private onHeaders(h: http2.IncomingHttpHeaders): void {
    const httpStatus = Number(h[':status']);
    if (httpStatus !== 200) {
      return this.fail(new GrpcError(statusOfHttp(httpStatus), `received HTTP status ${httpStatus}`));
    }
    const type = header(h, 'content-type') ?? '';
    if (!type.startsWith('application/grpc')) {
      return this.fail(new GrpcError(Status.UNKNOWN, `unexpected content-type "${type}"`));
    }
    const enc = (header(h, 'grpc-encoding') ?? 'identity').toLowerCase() as Encoding;
    if (enc !== 'identity' && !this.accepted.includes(enc)) {
      return this.fail(new GrpcError(Status.INTERNAL, `response grpc-encoding "${enc}" was not offered`));
    }
    this.encoding = enc;
    if (h['grpc-status'] !== undefined) this.onStatusHeaders(h); // trailers-only response
  }

  private onStatusHeaders(h: http2.IncomingHttpHeaders): void {
    if (this.final) return;
    const raw = header(h, 'grpc-status');
    const code = Number(raw);
    // Only the digits of a code gRPC defines (0-16): Number("") is 0, which would read as OK.
    this.final =
      raw === undefined || !/^\d{1,2}$/.test(raw) || code > 16
        ? { code: Status.UNKNOWN, details: `trailers without a valid grpc-status (${raw})` }
        : { code, details: decodeGrpcMessage(header(h, 'grpc-message') ?? '') };
  }

  private onData(chunk: Buffer): void {
    if (this.final) return;
    let messages;
    try {
      messages = this.reader.push(chunk);
    } catch (err) {
      return this.fail(err as GrpcError);
    }
    for (const m of messages) {
      if (!m.compressed && this.queue === undefined) {
        this.emit('message', m.payload);
        if (this.final) return; // a listener cancelled the call
        continue;
      }
      // Copied: the reader reuses its buffer on the next chunk. A compressed flag with no
      // negotiated encoding is refused by decompress (INTERNAL).
      const bytes = Buffer.from(m.payload);
      this.serialize(async () => {
        const payload = m.compressed ? await decompress(bytes, this.encoding, this.maxReceiveBytes) : bytes;
        if (!this.final) this.emit('message', payload);
      });
    }
  }

  private serialize(step: () => Promise<void>): void {
    const q = (this.queue ?? Promise.resolve())
      .then(step)
      .catch((err) => this.fail(err instanceof GrpcError ? err : new GrpcError(Status.INTERNAL, String(err))))
      .then(() => {
        if (this.queue === q) this.queue = undefined;
      });
    this.queue = q;
  }

  /** Ends the call with this status (the first one wins) and resets the stream. */
  private fail(err: GrpcError): void {
    if (this.final) return;
    this.final = { code: err.code, details: err.message };
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }

  /**
   * The server ended its side (after its trailers, normally): the call is over although ours is
   * still open, so close the stream (as grpc-js does) and report the status now.
   */
  private onEnd(): void {
    this.checkWhole();
    if (!this.final) return; // a reset or a lost connection: 'close' tells which
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_NO_ERROR);
    this.report();
  }

  /** At the end of the server's side, a partial message is an error whatever the status says. */
  private checkWhole(): void {
    if (this.reader.pending === 0) return;
    const n = this.reader.pending;
    this.fail(new GrpcError(Status.INTERNAL, `stream ended inside a message (${n} bytes)`));
  }

  private onClose(): void {
    if (!this.final) {
      const rst = this.stream.rstCode ?? NGHTTP2_NO_ERROR;
      const sessionGone = this.session.destroyed || this.session.closed;
      // A lost or closed connection first: its streams are destroyed with an internal-error code.
      this.final = sessionGone
        ? { code: Status.UNAVAILABLE, details: 'connection closed before the call ended' }
        : rst !== NGHTTP2_NO_ERROR
          ? statusOfReset(rst)
          : { code: Status.INTERNAL, details: 'stream ended without a grpc-status' };
    }
    this.report();
  }

  /** Emits the status once, after the messages still being decompressed. */
  private report(): void {
    const emit = () => {
      if (this.reported) return;
      this.reported = true;
      this.emit('status', this.final!);
    };
    if (this.queue) void this.queue.then(emit);
    else emit();
  }
}
