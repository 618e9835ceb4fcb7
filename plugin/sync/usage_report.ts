// Usage going up: the sync root drains the workers' batches from the shared queue it registered,
// sums them per user, and every report interval sends one earmark.v1.UsageReport on
// /earmark.v1.UsageReportingService/StreamUsage. Reports stay buffered (bounded) until the
// server acknowledges their sequence, and are resent after a reconnect. Sequences start at the
// wall clock in ms, so a restarted sync root never reuses a sequence the server has seen.
import { dequeue, registerQueue } from '../abi/shared_data';
import { getBufferBytes, log, returned } from '../abi/hostcalls';
import { scratchMark, scratchRelease } from '../abi/memory';
import { BufferType, LogLevel, WasmResult } from '../abi/types';
import { Blob, isValidUtf8 } from '../lib/bytes';
import { ProtoReader, ProtoWriter } from '../lib/protobuf';
import { StreamState } from '../plan/meta';
import * as U from '../filter/usage';
import { Channel } from './channel';
import { SyncMetrics } from './sync_metrics';

const MAX_UNACKED: i32 = 32;
const MAX_DEQUEUE_PER_CALL: i32 = 4096;

class UserAgg {
  requests: u64 = 0;
  admitted: u64 = 0;
  queued: u64 = 0;
  queueWaitMs: u64 = 0;
  queueWaitMax: u32 = 0;
  throttled: u64 = 0;
  redirected: u64 = 0;
  peak: u32 = 0;
  bytesIn: u64 = 0;
  bytesOut: u64 = 0;
  shortfall: u64 = 0;
  unreserved: u64 = 0;
}

export class UsageReporter {
  readonly channel: Channel;
  readonly metrics: SyncMetrics;
  readonly queueName: Blob;
  readonly maxUsers: i32;
  readonly nodeId: string;
  intervalMs: u64;
  queueToken: i64 = -1;
  private users: Map<string, UserAgg> = new Map<string, UserAgg>();
  private intervalStartMs: u64;
  private sequence: u64;
  private readonly unacked: Array<Blob> = [];
  private readonly unackedSeq: Array<u64> = [];
  private readonly writer: ProtoWriter = new ProtoWriter(64 * 1024);
  /** Batches that were not well-formed (a worker of another build, or corruption). */
  badBatches: u32 = 0;

  constructor(
    channel: Channel,
    metrics: SyncMetrics,
    queueName: Blob,
    maxUsers: u32,
    intervalMs: u32,
    nodeId: string,
    now: u64,
  ) {
    this.channel = channel;
    this.metrics = metrics;
    this.queueName = queueName;
    this.maxUsers = <i32>maxUsers;
    this.intervalMs = <u64>intervalMs;
    this.nodeId = nodeId;
    this.intervalStartMs = now;
    this.sequence = now;
  }

  /** Registers the workers' queue; this root then receives on_queue_ready for it. */
  register(): bool {
    this.queueToken = registerQueue(this.queueName.ptr, this.queueName.len);
    return this.queueToken >= 0;
  }

  drain(): void {
    if (this.queueToken < 0) return;
    for (let i = 0; i < MAX_DEQUEUE_PER_CALL; i++) {
      const mark = scratchMark();
      const r = dequeue(<u32>this.queueToken);
      if (r == WasmResult.Ok) this.merge(returned.ptr, returned.len);
      scratchRelease(mark);
      if (r != WasmResult.Ok) return;
    }
  }

  /** Adds one worker batch; a malformed batch is counted and ignored as a whole. */
  merge(ptr: usize, len: usize): bool {
    if (len < U.BATCH_HEADER || load<u32>(ptr) != U.BATCH_MAGIC) return this.bad();
    const count = load<u32>(ptr, 4);
    const end = ptr + len;
    // Validate the whole batch before touching the totals.
    let p = ptr + U.BATCH_HEADER;
    for (let i: u32 = 0; i < count; i++) {
      if (end - p < 2) return this.bad();
      const n = <usize>load<u16>(p);
      if (end - p - 2 < n + U.COUNTERS_BYTES) return this.bad();
      p += 2 + n + U.COUNTERS_BYTES;
    }
    if (p != end) return this.bad();
    p = ptr + U.BATCH_HEADER;
    let dropped: i64 = 0;
    for (let i: u32 = 0; i < count; i++) {
      const n = <usize>load<u16>(p);
      const u = p + 2;
      const c = u + n; // the counters, laid out as filter/usage.ts C_*
      p = u + n + U.COUNTERS_BYTES;
      if (n == 0 || !isValidUtf8(u, n)) {
        dropped++;
        continue;
      }
      const name = String.UTF8.decodeUnsafe(u, n);
      let a: UserAgg;
      if (this.users.has(name)) a = this.users.get(name);
      else if (this.users.size >= this.maxUsers) {
        dropped++;
        continue;
      } else {
        a = new UserAgg();
        this.users.set(name, a);
      }
      a.requests += <u64>load<u32>(c + U.C_REQUESTS);
      a.admitted += <u64>load<u32>(c + U.C_ADMITTED);
      a.queued += <u64>load<u32>(c + U.C_QUEUED);
      a.queueWaitMs += load<u64>(c + U.C_QUEUE_WAIT);
      a.queueWaitMax = max<u32>(a.queueWaitMax, load<u32>(c + U.C_QUEUE_WAIT_MAX));
      a.throttled += <u64>load<u32>(c + U.C_THROTTLED);
      a.redirected += <u64>load<u32>(c + U.C_REDIRECTED);
      a.peak = max<u32>(a.peak, load<u32>(c + U.C_PEAK));
      a.bytesIn += load<u64>(c + U.C_BYTES_IN);
      a.bytesOut += load<u64>(c + U.C_BYTES_OUT);
      a.shortfall += <u64>load<u32>(c + U.C_SHORTFALL);
      a.unreserved += <u64>load<u32>(c + U.C_UNRESERVED);
    }
    if (dropped > 0) this.metrics.usersDroppedBy(dropped);
    return true;
  }

  private bad(): bool {
    this.badBatches++;
    return false;
  }

  get userCount(): i32 {
    return this.users.size;
  }

  tick(now: u64, planVersion: string): void {
    const c = this.channel;
    if (c.due(now)) this.connect(now);
    if (now - this.intervalStartMs >= this.intervalMs) this.report(now, planVersion);
  }

  connect(now: u64): void {
    const c = this.channel;
    if (c.open(now)) {
      for (let i = 0; i < this.unacked.length; i++) {
        if (!c.send(this.unacked[i].ptr, this.unacked[i].len)) break;
      }
    }
    this.metrics.usageStreamState(c.state);
  }

  /** Closes the interval: encodes a report, buffers it until acknowledged, sends it if connected. */
  report(now: u64, planVersion: string): void {
    const w = this.writer;
    w.reset();
    w.stringField(1, this.nodeId);
    w.uintField(2, ++this.sequence);
    w.uintField(3, this.intervalStartMs);
    w.uintField(4, now - this.intervalStartMs);
    if (planVersion.length) w.stringField(5, planVersion);
    const keys = this.users.keys();
    for (let i = 0; i < keys.length; i++) {
      const a = this.users.get(keys[i]);
      const m = w.beginNested(6);
      w.stringField(1, keys[i]);
      w.uintField(2, a.requests);
      w.uintField(3, a.admitted);
      w.uintField(4, a.queued);
      w.uintField(5, a.queueWaitMs);
      w.uintField(6, <u64>a.queueWaitMax);
      w.uintField(7, a.throttled);
      w.uintField(8, a.redirected);
      w.uintField(9, <u64>a.peak);
      w.uintField(10, a.bytesIn);
      w.uintField(11, a.bytesOut);
      w.uintField(12, a.shortfall);
      w.uintField(13, a.unreserved);
      w.endNested(m);
    }
    const hadUsers = keys.length > 0;
    this.users = new Map<string, UserAgg>();
    this.intervalStartMs = now;
    const connected =
      this.channel.state == StreamState.Connected || this.channel.state == StreamState.Connecting;
    if (!hadUsers && !connected) return; // an empty report only matters as a sign of life
    const blob = Blob.copyOf(w.w.ptr, w.w.len);
    if (hadUsers) {
      if (this.unacked.length >= MAX_UNACKED) {
        this.unacked.shift();
        this.unackedSeq.shift();
        this.metrics.reportDropped();
      }
      this.unacked.push(blob);
      this.unackedSeq.push(this.sequence);
    }
    if (connected && this.channel.send(blob.ptr, blob.len)) this.metrics.reportSent();
  }

  onGrpcReceive(token: u32, size: u32): void {
    if (!this.channel.is(token)) return;
    this.channel.answered();
    this.metrics.usageStreamState(StreamState.Connected);
    if (getBufferBytes(BufferType.GrpcReceiveBuffer, 0, size) != WasmResult.Ok) return;
    const r = new ProtoReader(returned.ptr, returned.len);
    let acked: u64 = 0;
    let interval: u64 = 0;
    while (r.next()) {
      if (r.field == 1) acked = r.u64();
      else if (r.field == 2) interval = <u64>r.u32();
      else r.skip();
    }
    if (!r.ok) {
      log(LogLevel.Warn, 'earmark: ignoring a malformed UsageReportResponse: ' + r.error);
      return;
    }
    let n: i64 = 0;
    while (this.unackedSeq.length > 0 && this.unackedSeq[0] <= acked) {
      this.unacked.shift();
      this.unackedSeq.shift();
      n++;
    }
    if (n > 0) this.metrics.reportAcked(n);
    if (interval >= 100 && interval <= 3600000) this.intervalMs = interval;
  }

  onGrpcInitialMetadata(token: u32): void {
    if (!this.channel.is(token)) return;
    this.channel.headersReceived();
    this.metrics.usageStreamState(StreamState.Connected);
  }

  onGrpcClose(token: u32, status: u32, now: u64): void {
    if (!this.channel.is(token)) return;
    log(
      LogLevel.Info,
      'earmark: usage stream closed with gRPC status ' + status.toString() + '; reconnecting',
    );
    this.channel.closed(now);
    this.metrics.usageStreamState(this.channel.state);
  }

  get pendingReports(): i32 {
    return this.unacked.length;
  }
}
