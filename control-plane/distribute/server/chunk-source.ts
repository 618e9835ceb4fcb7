/**
 * Where streams get their transfers. Streams that need the same thing get the same Transfer, so a
 * change set is encoded (and compressed) once however many proxies receive it:
 *  - wildcard streams moving from revision a to the current revision b share the transfer "a>b";
 *  - fresh wildcard streams (no initial_resource_versions) share the full snapshot of b;
 *  - heartbeats of one tick are shared by wildcard streams.
 * Everything else (explicit subscriptions, reconnects with versions, re-planned lagging streams)
 * gets its own. Shared transfers are forgotten when the revision moves on.
 */
import type { CacheEntry, ReservationCache } from '../cache/reservation-cache';
import { encodeHeartbeatField } from '../codec/resource-codec';
import { Transfer, type TransferContext } from './transfer';

export class ChunkSource {
  private serial = 0;
  private memoRevision = -1;
  private readonly memo = new Map<string, Transfer>();
  private heartbeats = new Map<string, { version: string; field: Buffer }>();
  private readonly ctx: TransferContext;

  constructor(
    readonly cache: ReservationCache,
    maxBytes: number,
    /** Nonce prefix: distinguishes this server process's nonces from an earlier one's. */
    private readonly noncePrefix: string,
  ) {
    this.ctx = {
      cache,
      maxBytes,
      nextNonce: () => this.noncePrefix + (++this.serial).toString(36),
      heartbeatField: (n) => this.heartbeatField(n),
    };
  }

  private shared(key: string, build: () => Transfer): Transfer {
    if (this.memoRevision !== this.cache.revision) {
      this.memo.clear();
      this.memoRevision = this.cache.revision;
    }
    let t = this.memo.get(key);
    if (!t) {
      t = build();
      this.memo.set(key, t);
    }
    return t;
  }

  private allNames(): string[] {
    const names: string[] = [];
    for (const e of this.cache.values()) names.push(e.name);
    return names;
  }

  /** Changes between `from` and the current revision for a wildcard stream (shared). */
  wildcardDelta(from: number, names: readonly string[]): Transfer {
    // The newest revision's own names come with their entries (no lookup per name).
    const rec = this.cache.revisionRecord(this.cache.revision);
    const entries = rec?.names === names ? rec.entries : undefined;
    return this.shared(`${from}>${this.cache.revision}`, () => this.updates(names, entries));
  }

  /** Every reservation at the current revision (shared by fresh wildcard streams). */
  snapshot(): Transfer {
    return this.shared(`full`, () => {
      const entries = [...this.cache.values()];
      return this.updates(
        entries.map((e) => e.name),
        entries,
      );
    });
  }

  /** These names at their current state (per stream); `entries`: their cache entries, if known. */
  updates(names: readonly string[], entries?: readonly (CacheEntry | undefined)[]): Transfer {
    return new Transfer(this.ctx, 'update', names, this.cache.revision, entries);
  }

  /** Heartbeats for every reservation, shared by the wildcard streams of one tick. */
  wildcardHeartbeats(tick: number): Transfer {
    return this.shared(`hb${tick}`, () => {
      // Rebuild the field cache from the live entries so removed users do not linger in it.
      const old = this.heartbeats;
      this.heartbeats = new Map();
      for (const e of this.cache.values()) {
        const hb = old.get(e.name);
        if (hb && hb.version === e.version) this.heartbeats.set(e.name, hb);
      }
      return this.heartbeatsFor(this.allNames());
    });
  }

  heartbeatsFor(names: readonly string[]): Transfer {
    return new Transfer(this.ctx, 'heartbeat', names, this.cache.revision);
  }

  private heartbeatField(name: string): Buffer | undefined {
    const e = this.cache.get(name);
    if (!e) return undefined;
    const hb = this.heartbeats.get(name);
    if (hb && hb.version === e.version) return hb.field;
    const field = encodeHeartbeatField(name, e.version, this.cache.ttlMs);
    this.heartbeats.set(name, { version: e.version, field });
    return field;
  }
}
