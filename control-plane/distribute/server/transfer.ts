/**
 * An ordered list of resource names to bring a client to one cache revision, cut into responses
 * of at most maxBytes lazily, one when a stream asks for it: the first reservations go out while
 * later ones are still unencoded, so encoding, compression and the proxy's decoding overlap.
 * A transfer may be shared by streams (each keeps its own index); chunks are built once, in order.
 * A name present in the cache is sent at its current version, an absent one as a removal; the
 * last chunk carries system_version_info and completes `toRevision`.
 */
import type { ReservationCache } from '../cache/reservation-cache';
import { encodeDeltaResponse } from '../codec/delta-response-codec';
import { RESERVATION_TYPE_URL } from '../codec/resource-codec';
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
    const fields: Buffer[] = [];
    const sent: string[] = [];
    const versions: string[] = [];
    const removed: string[] = [];
    let bytes = 0;
    const start = this.cursor;
    let i = start;
    for (; i < this.names.length; i++) {
      const name = this.names[i];
      const e = cache.get(name);
      let field: Buffer | undefined;
      if (this.kind === 'heartbeat') field = e ? this.ctx.heartbeatField(name) : undefined;
      else if (e) field = cache.fieldOf(e);
      const size = field ? field.length : this.kind === 'update' ? name.length + 3 : 0;
      if (bytes > 0 && bytes + size > maxBytes) break;
      bytes += size;
      if (field) {
        fields.push(field);
        sent.push(name);
        versions.push(e!.version);
      } else if (this.kind === 'update') removed.push(name);
    }
    this.cursor = i;
    const last = i >= this.names.length;
    const nonce = this.ctx.nextNonce();
    const systemVersion = last && this.kind === 'update' ? cache.systemVersion : '';
    const body = encodeDeltaResponse({
      systemVersionInfo: systemVersion,
      typeUrl: RESERVATION_TYPE_URL,
      nonce,
      resourceFields: fields,
      removed,
    });
    const toRevision = last && this.kind === 'update' ? this.toRevision : undefined;
    this.starts.push(start);
    this.chunks.push(
      new ResponseChunk(this.kind, nonce, body, sent, versions, removed, toRevision, systemVersion),
    );
  }
}
