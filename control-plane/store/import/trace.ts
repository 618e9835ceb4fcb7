/**
 * What every trace reader shares: the stream of batches it yields, how it reports a bad row
 * (abort or skip-and-count), and how trace ids become user names.
 */
import * as fs from 'node:fs';
import type { Point } from '../influx/line-protocol';
import type { ResourceProfile } from '../resource-profiles';
import { TraceFormatError } from './csv';

/** Usage points to write, with how far through the input they take us (for the progress bar). */
export interface UsageBatch {
  points: Point[];
  /** Input bytes consumed so far, for progress. */
  bytesDone: number;
}

export interface TraceSummary {
  users: number;
  points: number;
  /** Sum of the imported values (requests for Azure). */
  total: number;
  firstMs: number;
  lastMs: number;
  profiles: ResourceProfile[];
  /** Rows skipped under --on-error skip, each with file, line and reason. */
  skipped: TraceFormatError[];
}

/** abort: the first bad row stops the import (nothing is written: a validation pass runs first). */
export type OnError = 'abort' | 'skip';

export class IssueLog {
  readonly skipped: TraceFormatError[] = [];
  constructor(readonly mode: OnError) {}
  /** Throws in abort mode; records the row as skipped otherwise. */
  report(e: TraceFormatError): void {
    if (this.mode === 'abort') throw e;
    this.skipped.push(e);
  }
}

export interface UserNaming {
  /** CSV of `trace_id,user` lines (an optional header "trace_id,user" or "id,user"; # comments). */
  mapFile?: string;
  /** Drop trace ids the map does not name (default: keep them under their own id). */
  onlyMapped?: boolean;
  prefix?: string;
  /** Keep only the first N characters of ids (hashes are 64 long). */
  hashLength?: number;
}

/** Turns trace ids into user names; two ids may never become one name (that would merge users silently). */
export class UserNames {
  private readonly map = new Map<string, string>();
  private readonly owner = new Map<string, string>();

  constructor(private readonly o: UserNaming) {
    if (o.mapFile) this.load(o.mapFile);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new TraceFormatError(file, 0, `cannot read user map: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#') || (i === 0 && /^(trace_)?id,user$/i.test(line))) return;
      const [id, user, ...rest] = line.split(',').map((s) => s.trim());
      if (!id || !user || rest.length) throw new TraceFormatError(file, i + 1, 'expected "trace_id,user"');
      if (this.map.has(id)) throw new TraceFormatError(file, i + 1, `trace id ${id} is mapped twice`);
      this.map.set(id, user);
    });
  }

  /** The user name for a trace id, or undefined when --only-mapped leaves it out. */
  name(id: string): string | undefined {
    let user = this.map.get(id);
    if (user === undefined) {
      if (this.o.onlyMapped) return undefined;
      user = (this.o.prefix ?? '') + (this.o.hashLength ? id.slice(0, this.o.hashLength) : id);
    }
    const prev = this.owner.get(user);
    if (prev === undefined) this.owner.set(user, id);
    else if (prev !== id) {
      throw new Error(
        `trace ids ${prev} and ${id} would both become user "${user}"` +
          (this.o.hashLength ? '; use a longer --hash-len' : '; fix the user map'),
      );
    }
    return user;
  }
}

/** Accumulates the summary while points stream out. */
export class SummaryBuilder {
  users = new Set<string>();
  points = 0;
  total = 0;
  firstMs = Infinity;
  lastMs = -Infinity;

  add(user: string, timeMs: number, value: number): void {
    this.users.add(user);
    this.points++;
    this.total += value;
    if (timeMs < this.firstMs) this.firstMs = timeMs;
    if (timeMs > this.lastMs) this.lastMs = timeMs;
  }

  build(profiles: ResourceProfile[], issues: IssueLog): TraceSummary {
    return {
      users: this.users.size,
      points: this.points,
      total: this.total,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
      profiles,
      skipped: issues.skipped,
    };
  }
}
