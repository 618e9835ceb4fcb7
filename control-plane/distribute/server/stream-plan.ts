/**
 * What one stream sends next. The client's holdings are a revision watermark (`collected`: the
 * revision whose changes are sent or being sent) plus the transfer in progress, never a per-resource
 * map. When the stream can write, `next()` returns the next response:
 *  - the rest of the current transfer; an unfinished update transfer is re-planned when newer
 *    revisions exist (one transfer of what is left plus what changed, at the latest state), so a
 *    lagging proxy skips intermediate versions;
 *  - else the changes since `collected` (shared with other wildcard streams at the same revision);
 *  - else a heartbeat when one is due and the stream is up to date.
 */
import type { ReservationCache } from '../cache/reservation-cache';
import type { ChunkSource } from './chunk-source';
import type { ResponseChunk } from './response-chunk';
import type { Subscription } from './subscription';
import type { Transfer } from './transfer';

/** The change log no longer reaches back to this stream's watermark: it must resync. */
export const BEHIND = 'behind';

export class StreamPlan {
  collected: number;
  private transfer: Transfer | undefined;
  private index = 0;
  /** Names to send at their current state with the next collection (new subscriptions). */
  private readonly extra = new Set<string>();
  private heartbeatTick = 0;

  constructor(
    private readonly cache: ReservationCache,
    private readonly chunks: ChunkSource,
    private readonly sub: Subscription,
    /** initial_resource_versions: only resources whose version differs are sent first. */
    initial: ReadonlyMap<string, string>,
  ) {
    this.collected = cache.revision;
    if (sub.wildcard && initial.size === 0) {
      this.set(chunks.snapshot());
      return;
    }
    const candidates = new Set<string>(sub.names);
    if (sub.wildcard) for (const e of cache.values()) candidates.add(e.name);
    for (const n of initial.keys()) if (sub.covers(n)) candidates.add(n);
    const names: string[] = [];
    const current: string[] = [];
    for (const n of candidates) {
      const e = cache.get(n);
      if (e) {
        if (initial.get(n) !== e.version) names.push(n);
        else current.push(n);
      } else if (initial.has(n) || sub.names.has(n)) {
        names.push(n); // a removal: the client has it, or asked for it and must learn it does not exist
      }
    }
    this.set(chunks.updates(names));
    // What the client already holds is not resent, but its TTL ran on while it was away: refresh
    // it at once, or a reservation whose deadline falls before the next heartbeat tick expires on
    // the proxy and is never sent again (it is current, and a heartbeat of an unheld name is ignored).
    if (cache.ttlMs > 0) this.reconnectHeartbeats = current;
  }

  /** Names the client reconnected with at their current version: heartbeated after the first transfer. */
  private reconnectHeartbeats: string[] = [];

  private set(t: Transfer | undefined): void {
    this.transfer = t;
    this.index = 0;
  }

  /** Sends these names at their current state with the next collection. */
  add(names: Iterable<string>): void {
    for (const n of names) this.extra.add(n);
  }

  heartbeat(tick: number): void {
    this.heartbeatTick = tick;
  }

  /** The response after the one `next()` last returned, without taking it (to prepare it early). */
  peek(): ResponseChunk | undefined {
    return this.transfer?.hasChunk(this.index) ? this.transfer.chunk(this.index) : undefined;
  }

  /** The next response, or BEHIND. `sentRevision`: the last revision whose final response went out. */
  next(sentRevision: number): ResponseChunk | typeof BEHIND | undefined {
    const t = this.transfer;
    if (t && t.hasChunk(this.index)) {
      // Heartbeats finish first; an unfinished update is merged with the newer revisions.
      if (t.kind === 'update' && this.collected < this.cache.revision && this.replan(t) === BEHIND)
        return BEHIND;
    } else {
      this.transfer = undefined;
      if (this.collected < this.cache.revision || this.extra.size > 0) {
        if (this.collect() === BEHIND) return BEHIND;
      } else if (this.reconnectHeartbeats.length > 0 && sentRevision === this.collected) {
        this.set(this.chunks.heartbeatsFor(this.reconnectHeartbeats));
        this.reconnectHeartbeats = [];
      } else if (this.heartbeatTick > 0 && this.cache.ttlMs > 0 && sentRevision === this.collected) {
        const tick = this.heartbeatTick;
        this.heartbeatTick = 0;
        this.set(
          this.sub.wildcard
            ? this.chunks.wildcardHeartbeats(tick)
            : this.chunks.heartbeatsFor([...this.sub.names]),
        );
      }
    }
    const chunk = this.transfer?.chunk(this.index);
    if (chunk) this.index++;
    return chunk;
  }

  private collect(): typeof BEHIND | undefined {
    const from = this.collected;
    const changed = this.cache.changedSince(from);
    if (!changed) return BEHIND;
    this.collected = this.cache.revision;
    if (this.extra.size === 0 && this.sub.wildcard) {
      this.set(this.chunks.wildcardDelta(from, changed));
      return undefined;
    }
    const names = new Set(this.extra);
    this.extra.clear();
    for (const n of changed) if (this.sub.covers(n)) names.add(n);
    this.set(this.chunks.updates([...names]));
    return undefined;
  }

  private replan(t: Transfer): typeof BEHIND | undefined {
    const changed = this.cache.changedSince(this.collected);
    if (!changed) return BEHIND;
    const names = new Set<string>(t.namesFrom(this.index));
    for (const n of this.extra) names.add(n);
    this.extra.clear();
    for (const n of changed) if (this.sub.covers(n)) names.add(n);
    this.collected = this.cache.revision;
    this.set(this.chunks.updates([...names]));
    return undefined;
  }

  dispose(): void {
    this.transfer = undefined;
  }
}
