/** The writer's options and statistics. */
import type { LineBlock } from '../influx/line-buffer';
import type { Logger } from './logger';

export interface WriterOptions {
  /** InfluxDB base URL, e.g. http://127.0.0.1:8086 */
  url: string;
  db: string;
  /** Folder for the disk spool (one writer per folder). */
  spoolDir: string;
  /** Lines per write request (size trigger). Default 5000. */
  batchLines?: number;
  /** A partial batch is sent this long after its first line (time trigger). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Lines held in memory before write() waits for room. Default 200,000. */
  maxBufferedLines?: number;
  /** Bulk requests in flight at once. Default 2. */
  concurrency?: number;
  /** Attempts per batch before it goes to the spool. Default 3. */
  attemptsBeforeSpool?: number;
  /** Backoff between attempts and replays: doubles from min to max. Defaults 100 ms, 5 s. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Spool size limit; past it batches stay in memory and writers wait. Default 1 GiB. */
  maxSpoolBytes?: number;
  segmentBytes?: number;
  requestTimeoutMs?: number;
  log?: Logger;
}

export interface WriteOptions {
  /** Send now, as an ordering barrier (see the file comment): for small writes someone waits on. */
  now?: boolean;
}

export type WriterState = 'ok' | 'retrying' | 'spooling';

export interface WriterStats {
  state: WriterState;
  /** Lines acknowledged by InfluxDB, replays included. */
  written: number;
  /** Lines in memory: waiting, or in requests in flight. */
  buffered: number;
  /** Write calls waiting for room (backpressure). */
  waitingWrites: number;
  /** Lines waiting in the disk spool now, and ever sent to it. */
  spooled: number;
  spooledTotal: number;
  replayed: number;
  /** Lines InfluxDB refused (HTTP 400); kept in <spoolDir>/rejected/ with the reason. */
  rejected: number;
  retries: number;
  lastError?: string;
}

/** Part of a batch: one line of text, or a block of whole pre-encoded lines (usage). */
export type BatchPart = string | LineBlock;

export interface Batch {
  rp: string;
  parts: BatchPart[];
  /** Lines in parts. */
  count: number;
  startSeq: number;
  endSeq: number;
  ordered: boolean;
}

/** How one request ended: acknowledged, worth another try (or the spool), or refused for good. */
export type PostResult = 'ok' | 'retry' | Error;
