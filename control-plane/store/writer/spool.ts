/**
 * The writer's disk spool: batches InfluxDB could not take, kept in order until it can.
 *
 * Segment files of framed records (magic, length, CRC-32, payload). append() writes and fsyncs
 * before it resolves, so a spooled batch survives a crash of this process; ack() moves a cursor
 * (a small side file) and deletes a segment only once every record in it was answered 204. A crash
 * between a 204 and the cursor update replays that batch once more, which InfluxDB absorbs: every
 * point has an explicit timestamp, so a second write overwrites the first.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from './logger';

export interface SpoolRecord {
  db: string;
  rp: string;
  /** Number of lines in body. */
  lines: number;
  /** Line protocol, lines joined by '\n'. */
  body: string | Buffer;
}

/** A record read back from the spool: the body as text. */
export interface SpooledRecord extends SpoolRecord {
  body: string;
}

/** The spool would grow past its limit: the writer keeps the batch in memory and pushes back. */
export class SpoolFullError extends Error {}

/** Another live process (or writer) uses this spool folder. */
export class SpoolLockedError extends Error {}

interface Segment {
  seq: number;
  file: string;
  size: number;
  acked: number;
}

const MAGIC = 0x454d5350; // "EMSP"
const HEADER = 12;
const SEGMENT_RE = /^seg-(\d{12})\.spool$/;
const locked = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function encodeRecord(r: SpoolRecord): Buffer {
  const db = Buffer.from(r.db);
  const rp = Buffer.from(r.rp);
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  const payload = Buffer.allocUnsafe(2 + db.length + 2 + rp.length + 4 + body.length);
  let o = payload.writeUInt16BE(db.length, 0);
  o += db.copy(payload, o);
  o = payload.writeUInt16BE(rp.length, o);
  o += rp.copy(payload, o);
  o = payload.writeUInt32BE(r.lines, o);
  body.copy(payload, o);
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(payload.length, 4);
  head.writeUInt32BE(crc32(payload), 8);
  return Buffer.concat([head, payload]);
}

function decodePayload(p: Buffer): SpooledRecord {
  let o = 0;
  const dbLen = p.readUInt16BE(o);
  const db = p.toString('utf8', (o += 2), (o += dbLen));
  const rpLen = p.readUInt16BE(o);
  const rp = p.toString('utf8', (o += 2), (o += rpLen));
  const lines = p.readUInt32BE(o);
  return { db, rp, lines, body: p.toString('utf8', o + 4) };
}

/** The record at `offset` of `buf`, or why there is none. */
function readRecord(buf: Buffer, offset: number): { rec: SpooledRecord; next: number } | { bad: string } {
  if (offset + HEADER > buf.length) return { bad: `truncated header (${buf.length - offset} bytes)` };
  if (buf.readUInt32BE(offset) !== MAGIC) return { bad: 'bad magic' };
  const len = buf.readUInt32BE(offset + 4);
  const end = offset + HEADER + len;
  if (end > buf.length) return { bad: `truncated record (${buf.length - offset} of ${HEADER + len} bytes)` };
  const payload = buf.subarray(offset + HEADER, end);
  if (crc32(payload) !== buf.readUInt32BE(offset + 8)) return { bad: 'checksum mismatch' };
  return { rec: decodePayload(payload), next: end };
}

export interface SpoolOptions {
  dir: string;
  /** Stop accepting (SpoolFullError) past this many pending bytes. */
  maxBytes: number;
  /** Start a new segment file past this size. */
  segmentBytes: number;
  log: Logger;
}

export class DiskSpool {
  private segments: Segment[] = [];
  private writeHandle: fsp.FileHandle | undefined;
  private reader: { seq: number; fh: fsp.FileHandle } | undefined;
  private peeked: { seq: number; next: number; lines: number } | undefined;
  private nextSeq = 1;
  private pendingBytes = 0;
  private pendingRecords = 0;
  private pendingLines = 0;
  private closed = false;

  private constructor(private readonly opts: SpoolOptions) {}

  /** Opens (creating) the folder, takes its lock, and checks what an earlier run left behind. */
  static async open(opts: SpoolOptions): Promise<DiskSpool> {
    const s = new DiskSpool(opts);
    await fsp.mkdir(opts.dir, { recursive: true });
    s.lock();
    try {
      await s.recover();
    } catch (e) {
      s.unlock();
      throw e;
    }
    return s;
  }

  get records(): number {
    return this.pendingRecords;
  }
  get lines(): number {
    return this.pendingLines;
  }
  get bytes(): number {
    return this.pendingBytes;
  }
  isEmpty(): boolean {
    return this.pendingRecords === 0;
  }

  /** Appends in order and fsyncs once for the group; resolves only when the records are on disk. */
  async append(records: readonly SpoolRecord[]): Promise<void> {
    if (this.closed) throw new Error('spool is closed');
    const bufs = records.map(encodeRecord);
    const total = bufs.reduce((n, b) => n + b.length, 0);
    if (this.pendingBytes > 0 && this.pendingBytes + total > this.opts.maxBytes) {
      throw new SpoolFullError(
        `spool ${this.opts.dir} is full (${this.pendingBytes} of ${this.opts.maxBytes} bytes pending)`,
      );
    }
    let seg = this.segments[this.segments.length - 1];
    if (!this.writeHandle || !seg || seg.size >= this.opts.segmentBytes) seg = await this.newSegment();
    const data = Buffer.concat(bufs);
    await this.writeHandle!.write(data, 0, data.length, seg.size);
    await this.writeHandle!.sync();
    seg.size += data.length;
    this.pendingBytes += total;
    this.pendingRecords += records.length;
    for (const r of records) this.pendingLines += r.lines;
  }

  /** The oldest record not yet acknowledged, or undefined when the spool is empty. */
  async peek(): Promise<SpooledRecord | undefined> {
    for (;;) {
      const seg = this.segments[0];
      if (!seg || this.pendingRecords === 0) return undefined;
      if (seg.acked >= seg.size) {
        await this.dropFirst();
        continue;
      }
      const r = await this.readAt(seg, seg.acked);
      if ('rec' in r) {
        this.peeked = { seq: seg.seq, next: r.next, lines: r.rec.lines };
        return r.rec;
      }
      // Append fsyncs whole records, so a bad record here means a damaged file: keep it aside.
      this.opts.log.error(
        `spool segment ${seg.file} is damaged at byte ${seg.acked} (${r.bad}); moved aside`,
      );
      await this.dropFirst(`${seg.file}.damaged`);
      await this.recount();
    }
  }

  /** Marks the record last returned by peek() as written to InfluxDB. */
  async ack(): Promise<void> {
    const seg = this.segments[0];
    const p = this.peeked;
    if (!seg || !p || p.seq !== seg.seq) throw new Error('spool ack without a peeked record');
    this.peeked = undefined;
    this.pendingBytes -= p.next - seg.acked;
    this.pendingRecords--;
    this.pendingLines -= p.lines;
    seg.acked = p.next;
    if (seg.acked >= seg.size) await this.dropFirst();
    // Not fsynced: losing the cursor only replays already-written (idempotent) batches.
    else await fsp.writeFile(seg.file + '.ack', String(seg.acked));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeHandle?.close();
    await this.reader?.fh.close();
    this.writeHandle = this.reader = undefined;
    this.unlock();
  }

  private lockFile(): string {
    return path.join(this.opts.dir, 'spool.lock');
  }

  private lock(): void {
    const dir = path.resolve(this.opts.dir);
    if (locked.has(dir))
      throw new SpoolLockedError(`spool ${dir} is already used by another writer in this process`);
    try {
      const pid = Number(fs.readFileSync(this.lockFile(), 'utf8'));
      if (pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new SpoolLockedError(
          `spool ${dir} is in use by process ${pid}; give each writer its own spool dir`,
        );
      }
    } catch (e) {
      if (e instanceof SpoolLockedError) throw e;
    }
    fs.writeFileSync(this.lockFile(), String(process.pid));
    locked.add(dir);
  }

  private unlock(): void {
    locked.delete(path.resolve(this.opts.dir));
    fs.rmSync(this.lockFile(), { force: true });
  }

  private async recover(): Promise<void> {
    const names = (await fsp.readdir(this.opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const n of names) {
      const file = path.join(this.opts.dir, n);
      const seq = Number(SEGMENT_RE.exec(n)![1]);
      const size = (await fsp.stat(file)).size;
      let acked = 0;
      try {
        acked = Math.min(size, Number(await fsp.readFile(file + '.ack', 'utf8')) || 0);
      } catch {
        /* no cursor yet */
      }
      this.segments.push({ seq, file, size, acked });
      this.nextSeq = seq + 1;
    }
    const last = this.segments[this.segments.length - 1];
    if (last) await this.trimTornTail(last);
    await this.recount();
    if (this.pendingRecords > 0) {
      this.opts.log.warn(
        `spool ${this.opts.dir}: ${this.pendingLines} points in ${this.pendingRecords} batches from an earlier run will be replayed`,
      );
    }
  }

  /** A crash mid-append leaves a partial record that was never acknowledged as durable: cut it. */
  private async trimTornTail(seg: Segment): Promise<void> {
    const buf = await fsp.readFile(seg.file);
    let off = seg.acked;
    for (;;) {
      if (off >= buf.length) return;
      const r = readRecord(buf, off);
      if (!('rec' in r)) {
        this.opts.log.warn(
          `spool ${seg.file}: dropped a torn tail of ${buf.length - off} bytes (${r.bad}); it was never reported durable`,
        );
        break;
      }
      off = r.next;
    }
    await fsp.truncate(seg.file, off);
    seg.size = off;
  }

  private async recount(): Promise<void> {
    this.pendingBytes = this.pendingRecords = this.pendingLines = 0;
    for (const seg of this.segments) {
      const buf = await fsp.readFile(seg.file);
      for (let off = seg.acked; off < buf.length;) {
        const r = readRecord(buf, off);
        if (!('rec' in r)) break;
        this.pendingBytes += r.next - off;
        this.pendingRecords++;
        this.pendingLines += r.rec.lines;
        off = r.next;
      }
    }
  }

  /** One record by positional reads: replay must not re-read a growing segment per batch. */
  private async readAt(
    seg: Segment,
    offset: number,
  ): Promise<{ rec: SpooledRecord; next: number } | { bad: string }> {
    if (this.reader?.seq !== seg.seq) {
      await this.reader?.fh.close();
      this.reader = { seq: seg.seq, fh: await fsp.open(seg.file, 'r') };
    }
    const fh = this.reader.fh;
    const head = Buffer.alloc(HEADER);
    const got = (await fh.read(head, 0, HEADER, offset)).bytesRead;
    if (got < HEADER) return { bad: `truncated header (${got} bytes)` };
    if (head.readUInt32BE(0) !== MAGIC) return { bad: 'bad magic' };
    const len = head.readUInt32BE(4);
    const buf = Buffer.alloc(HEADER + len);
    head.copy(buf);
    const n = (await fh.read(buf, HEADER, len, offset + HEADER)).bytesRead;
    if (n < len) return { bad: `truncated record (${n} of ${len} payload bytes)` };
    const r = readRecord(buf, 0);
    return 'rec' in r ? { rec: r.rec, next: offset + r.next } : r;
  }

  private async newSegment(): Promise<Segment> {
    await this.writeHandle?.close();
    const file = path.join(this.opts.dir, `seg-${String(this.nextSeq).padStart(12, '0')}.spool`);
    const seg: Segment = { seq: this.nextSeq++, file, size: 0, acked: 0 };
    this.writeHandle = await fsp.open(file, 'wx');
    // The new file's directory entry must be durable too, or an fsynced record could vanish with it.
    const dh = await fsp.open(this.opts.dir, 'r');
    await dh.sync();
    await dh.close();
    this.segments.push(seg);
    return seg;
  }

  /** Forgets the oldest segment: deletes it, or renames it to `keepAs` (damaged, for a human). */
  private async dropFirst(keepAs?: string): Promise<void> {
    const seg = this.segments.shift()!;
    if (this.segments.length === 0 && this.writeHandle) {
      await this.writeHandle.close();
      this.writeHandle = undefined;
    }
    if (this.reader?.seq === seg.seq) {
      await this.reader.fh.close();
      this.reader = undefined;
    }
    if (keepAs) await fsp.rename(seg.file, keepAs);
    else await fsp.rm(seg.file, { force: true });
    await fsp.rm(seg.file + '.ack', { force: true });
  }
}
