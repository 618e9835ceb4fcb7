/**
 * gRPC length-prefixed messages: 1 byte compressed flag, 4 bytes big-endian length, then the bytes
 * (compressed with the call's grpc-encoding when the flag is 1). The reader reassembles messages
 * split across HTTP/2 DATA frames and enforces the size limit before buffering a body.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { GrpcError, Status } from './grpc-status';

export type Encoding = 'identity' | 'gzip' | 'deflate';
export const SUPPORTED_ENCODINGS: readonly Encoding[] = ['identity', 'gzip', 'deflate'];

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** The 5-byte prefix of a message of `length` bytes. */
export function frameHeader(length: number, compressed: boolean): Buffer {
  const h = Buffer.allocUnsafe(5);
  h[0] = compressed ? 1 : 0;
  h.writeUInt32BE(length, 1);
  return h;
}

/** A whole framed message (prefix + payload) in one Buffer. */
export function frameMessage(payload: Uint8Array, compressed: boolean): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 5);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/** Compresses a payload with zlib on libuv's thread pool (off the event loop). */
export function compress(
  payload: Uint8Array,
  encoding: Exclude<Encoding, 'identity'>,
  level: number,
): Promise<Buffer> {
  return encoding === 'gzip' ? gzip(payload, { level }) : deflate(payload, { level });
}

export async function decompress(payload: Buffer, encoding: Encoding, maxBytes: number): Promise<Buffer> {
  if (encoding === 'identity') {
    throw new GrpcError(
      Status.INTERNAL,
      'compressed flag set on a message but the call declared no grpc-encoding',
    );
  }
  try {
    const opts = { maxOutputLength: maxBytes };
    return await (encoding === 'gzip' ? gunzip(payload, opts) : inflate(payload, opts));
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new GrpcError(
      tooBig ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL,
      tooBig
        ? `message decompresses to more than ${maxBytes} bytes`
        : `cannot decompress message: ${(err as Error).message}`,
    );
  }
}

/** Messages up to this size are reassembled into the reader's reused buffer (reuse mode). */
const REUSED_MAX = 1024 * 1024;

/** Parses length-prefixed messages out of a byte stream. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Reassembly buffer kept from message to message (reuse mode). */
  private assembly: Buffer | undefined;

  /**
   * reuse: a message split across chunks is joined into one buffer the reader keeps, instead of a
   * new one per message (a proxy's 185 KB deltas arrive in ~15 DATA chunks, and a new buffer each
   * is external memory that V8 counts towards a full GC). Such a payload is then valid only until
   * the next push(): the caller must be done with it, or copy it, by then. A push returns at most
   * one such payload (the first; any later one lies within the last chunk and is a view of it).
   */
  constructor(
    private readonly maxBytes: number,
    private readonly reuse = false,
  ) {}

  /** Adds bytes; returns complete messages (flag + payload). Throws GrpcError past the size limit. */
  push(chunk: Buffer): { compressed: boolean; payload: Buffer }[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: { compressed: boolean; payload: Buffer }[] = [];
    while (this.buffered >= 5) {
      const head = this.peek(5);
      const length = head.readUInt32BE(1);
      if (head[0] > 1) throw new GrpcError(Status.INTERNAL, `invalid message flag ${head[0]}`);
      if (length > this.maxBytes) {
        throw new GrpcError(
          Status.RESOURCE_EXHAUSTED,
          `message of ${length} bytes exceeds the limit of ${this.maxBytes}`,
        );
      }
      if (this.buffered < 5 + length) break;
      const all = this.take(5 + length);
      out.push({ compressed: all[0] === 1, payload: all.subarray(5) });
    }
    return out;
  }

  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    if (this.reuse && this.chunks.length > 1 && n <= REUSED_MAX) return this.takeReused(n);
    const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }

  /** take() into the reused buffer: copies the message's n bytes, keeps what follows as chunks. */
  private takeReused(n: number): Buffer {
    if (!this.assembly || this.assembly.length < n)
      this.assembly = Buffer.allocUnsafe(Math.max(n, 64 * 1024));
    const out = this.assembly;
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.chunks[i];
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k < c.length) {
        this.chunks[i] = c.subarray(k);
        break;
      }
      i++;
    }
    this.chunks = this.chunks.slice(i);
    this.buffered -= n;
    return out.subarray(0, n);
  }
}
