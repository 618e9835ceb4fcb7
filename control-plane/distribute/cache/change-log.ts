/**
 * Which reservations changed at each cache revision, for the recent past. A stream that is k
 * revisions behind asks for the union of k entries instead of diffing every resource, so a delta
 * costs O(changed), not O(users), per proxy. Old entries are dropped past a name budget; a stream
 * older than the log is told to resync (see server/delta-stream.ts).
 */
import type { CacheEntry } from './reservation-cache';

export interface RevisionRecord {
  revision: number;
  publishedAtMs: number;
  systemVersion: string;
  /** Names upserted or removed at this revision, each once. */
  names: readonly string[];
  /**
   * The cache entry of each name (undefined for a removal), kept on the newest record only: a
   * transfer of exactly these names reads them instead of a Map lookup per name. An entry that is
   * no longer `live` must be looked up again.
   */
  entries?: readonly (CacheEntry | undefined)[];
}

export class ChangeLog {
  private records: RevisionRecord[] = [];
  private head = 0;
  private names = 0;

  constructor(private readonly maxNames: number) {}

  append(rec: RevisionRecord): void {
    const prev = this.records[this.records.length - 1];
    if (prev) prev.entries = undefined; // only the newest keeps them (memory)
    this.records.push(rec);
    this.names += rec.names.length;
    // Keep at least the newest record whatever its size.
    while (this.names > this.maxNames && this.records.length - this.head > 1) {
      this.names -= this.records[this.head].names.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest revision r such that changes after r can still be listed. */
  get horizon(): number {
    return this.head < this.records.length ? this.records[this.head].revision - 1 : Infinity;
  }

  /** Record of exactly `revision`, while it is retained. */
  get(revision: number): RevisionRecord | undefined {
    const first = this.records[this.head];
    if (!first) return undefined;
    return this.records[this.head + revision - first.revision];
  }

  /** Names changed after `revision`, deduplicated; undefined when the log no longer reaches back that far. */
  namesSince(revision: number): readonly string[] | undefined {
    if (revision < this.horizon) return undefined;
    const first = this.records[this.head];
    if (!first) return [];
    const from = this.head + Math.max(0, revision + 1 - first.revision);
    if (from >= this.records.length) return [];
    if (from === this.records.length - 1) return this.records[from].names;
    const set = new Set<string>();
    for (let i = from; i < this.records.length; i++) for (const n of this.records[i].names) set.add(n);
    return [...set];
  }
}
