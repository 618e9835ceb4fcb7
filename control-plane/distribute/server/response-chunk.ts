/**
 * One DeltaDiscoveryResponse, encoded once and shareable by every stream that needs the same
 * resources (the common case: wildcard proxies moving between the same two revisions). Its nonce
 * is a server-wide serial, so it is unique within any one stream; it is compressed at most once
 * per encoding whatever the number of streams it goes to.
 */
import { compress, frameMessage, type Encoding } from '../transport/message-framing';

/** A response ready for the wire: the gRPC message (5-byte prefix included), shared by streams. */
export interface FramedPayload {
  /** Prefix + payload: written with one HTTP/2 write, the same bytes for every stream. */
  framed: Buffer;
  /** The payload alone (a view into `framed`). */
  payload: Buffer;
  compressed: boolean;
}

export interface CompressionSettings {
  /** Compress responses of at least this many bytes when the client accepts it. */
  minBytes: number;
  /** zlib level 1 (fastest) to 9 (smallest). */
  level: number;
}

export type ChunkKind = 'update' | 'heartbeat';

export class ResponseChunk {
  private readonly encoded = new Map<Encoding, Promise<FramedPayload>>();

  constructor(
    readonly kind: ChunkKind,
    readonly nonce: string,
    readonly body: Buffer,
    /** Names sent with a body (or heartbeat) and their versions, in order. */
    readonly names: readonly string[],
    readonly versions: readonly string[],
    readonly removed: readonly string[],
    /** Set on the response that completes a revision: the client then holds that revision. */
    readonly toRevision: number | undefined,
    readonly systemVersion: string,
    /** One of several responses of a large transfer: compressed whatever its own size. */
    readonly partOfLarge = false,
  ) {}

  /**
   * The message for a call's encoding, framed: compressed and framed at most once per encoding,
   * then the same bytes go to every stream (50 proxies cost one copy, not 50 copies or writes).
   */
  payload(encoding: Encoding, c: CompressionSettings): Promise<FramedPayload> {
    const big = this.partOfLarge || this.body.length >= c.minBytes;
    const enc = encoding !== 'identity' && big ? encoding : 'identity';
    let p = this.encoded.get(enc);
    if (!p) {
      p =
        enc === 'identity'
          ? Promise.resolve(framed(this.body, false))
          : compress(this.body, enc, c.level).then((payload) => framed(payload, true));
      this.encoded.set(enc, p);
    }
    return p;
  }
}

function framed(payload: Buffer, compressed: boolean): FramedPayload {
  const f = frameMessage(payload, compressed);
  return { framed: f, payload: f.subarray(5), compressed };
}
