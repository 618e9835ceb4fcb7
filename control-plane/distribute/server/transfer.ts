/**
 * An ordered list of resource names to bring a client to one cache revision, cut into responses
 * of at most maxBytes lazily, one when a stream asks for it: the first reservations go out while
 * later ones are still unencoded, so encoding, compression and the proxy's decoding overlap.
 * A transfer may be shared by streams (each keeps its own index); chunks are built once, in order.
 * A name present in the cache is sent at its current version, an absent one as a removal; the
 * last chunk carries system_version_info and completes `toRevision`.
 */
import type { CacheEntry, ReservationCache } from '../cache/reservation-cache';
import { writeResponseTail } from '../codec/delta-response-codec';
import { RESERVATION_TYPE_URL, writeResourceField } from '../codec/resource-codec';
import { WireWriter } from '../codec/wire-writer';
import { ResponseChunk, type ChunkKind } from './response-chunk';

export interface TransferContext {
  cache: ReservationCache;
  maxBytes: number;
  nextNonce(): string;
  /** Heartbeat field of a name's current version (undefined when it is no longer in the cache). */
  heartbeatField(name: string): Buffer | undefined;
}

export class Transfer {
  private readonly chunks: ResponseChunk[] = [];
  /** names[starts[i]] is the first name of chunk i. */
  private readonly starts: number[] = [];
  private cursor = 0;

  constructor(
    private readonly ctx: TransferContext,
    readonly kind: ChunkKind,
    readonly names: readonly string[],
    readonly toRevision: number,
    /** The cache entry of each name when the caller has them (else each is looked up). */
    private readonly entries?: readonly (CacheEntry | undefined)[],
  ) {}

  /** Chunk i, building it if needed; undefined past the end. */
  chunk(i: number): ResponseChunk | undefined {
    while (this.chunks.length <= i && !this.complete) this.buildNext();
    return this.chunks[i];
  }

  /** Whether chunk i exists or can still be built. */
  hasChunk(i: number): boolean {
    return i < this.chunks.length || !this.complete;
  }

  get complete(): boolean {
    return this.chunks.length > 0 && this.cursor >= this.names.length;
  }

  /** Names from chunk i onwards (built or not): what a stream still lacks of this transfer. */
  namesFrom(i: number): readonly string[] {
    const start = i < this.starts.length ? this.starts[i] : this.cursor;
    return this.names.slice(start);
  }

  private buildNext(): void {
    const { cache, maxBytes } = this.ctx;
    // Resources are written straight into the response; an entry encoded here keeps a view of its
    // bytes, so later responses (other transfers, other proxies) copy instead of re-encoding.
    // Sized to the work at hand (about 200 bytes a resource): cached views keep their buffer alive,
    // so a one-user delta must not hold on to a 1 MiB one.
    const w = new WireWriter(Math.min(maxBytes + 8192, (this.names.length - this.cursor) * 200 + 1024));
    const sent: string[] = [];
    const versions: string[] = [];
    const removed: string[] = [];
    let removedBytes = 0;
    const start = this.cursor;
    let i = start;
    const known = this.entries;
    for (; i < this.names.length; i++) {
      const name = this.names[i];
      let e = known?.[i];
      if (e === undefined || !e.live) e = cache.get(name);
      const at = w.pos;
      const first = at === 0 && removed.length === 0; // a response always takes its first item
      if (!e) {
        if (this.kind === 'heartbeat') continue;
        const size = name.length + 3;
        if (!first && at + removedBytes + size > maxBytes) break;
        removed.push(name);
        removedBytes += size;
        continue;
      }
      let fresh = false;
      if (this.kind === 'heartbeat') w.raw(this.ctx.heartbeatField(name)!);
      else if (e.fieldBytes) w.rawRange(e.fieldBytes, e.fieldStart, e.fieldEnd);
      else {
        writeResourceField(w, e, e.version, cache.ttlMs);
        e.fieldBytes = w.buffer;
        e.fieldStart = at;
        e.fieldEnd = w.pos;
        fresh = true;
      }
      if (!first && w.pos + removedBytes > maxBytes) {
        // Over budget: it opens the next response. A fresh encoding is copied out before its bytes
        // here are overwritten, so the work is kept.
        if (fresh) {
          e.fieldBytes = Buffer.from(w.view(at, w.pos));
          e.fieldStart = 0;
          e.fieldEnd = e.fieldBytes.length;
        }
        w.pos = at;
        break;
      }
      sent.push(name);
      versions.push(e.version);
    }
    this.cursor = i;
    const last = i >= this.names.length;
    const nonce = this.ctx.nextNonce();
    const systemVersion = last && this.kind === 'update' ? cache.systemVersion : '';
    writeResponseTail(w, { systemVersionInfo: systemVersion, typeUrl: RESERVATION_TYPE_URL, nonce, removed });
    const toRevision = last && this.kind === 'update' ? this.toRevision : undefined;
    this.starts.push(start);
    this.chunks.push(
      new ResponseChunk(
        this.kind,
        nonce,
        w.view(0, w.pos),
        sent,
        versions,
        removed,
        toRevision,
        systemVersion,
        start > 0 || !last, // one of several responses: the transfer is large
      ),
    );
  }
}
