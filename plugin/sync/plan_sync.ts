// The plan side of the sync: a delta xDS client for type.googleapis.com/earmark.v1.Reservation
// that writes reservations to shared data. Wildcard subscription; every response is validated as
// a whole before anything is applied, then ACKed (nonce echoed) or NACKed (error_detail) with the
// last good state kept. Per-resource TTLs and validity windows expire records; removals and
// expiries shrink a record to a tombstone (shared data has no delete). On reconnect the client
// sends initial_resource_versions so the server sends only what changed.
import { getBufferBytes, log, logEnabled, returned } from '../abi/hostcalls';
import { scratchMark, scratchRelease } from '../abi/memory';
import { getSharedData } from '../abi/shared_data';
import { BufferType, GrpcStatus, LogLevel, WasmResult } from '../abi/types';
import { Config } from '../config/config';
import { Blob, ByteWriter } from '../lib/bytes';
import { Keys } from '../plan/keys';
import { PlanMeta, StreamState, decodeMeta } from '../plan/meta';
import { encodeRecord } from '../plan/record';
import { Channel } from './channel';
import { DeltaRequestWriter, DeltaResponse, RESERVATION_TYPE_URL } from './delta';
import { NameSet } from './name_set';
import { PlanIndex } from './plan_index';
import { RecordWriter } from './record_writer';
import { ReservationDecoder } from './reservation';
import { SyncMetrics } from './sync_metrics';

/** Scratch for reading an earlier sync root's meta record (unmanaged: made once). */
const loadedMeta = new PlanMeta();

export class PlanSync {
  readonly config: Config;
  readonly keys: Keys;
  readonly channel: Channel;
  readonly index: PlanIndex = new PlanIndex();
  readonly metrics: SyncMetrics;
  private readonly response: DeltaResponse = new DeltaResponse();
  private readonly decoder: ReservationDecoder = new ReservationDecoder();
  private readonly request: DeltaRequestWriter = new DeltaRequestWriter();
  private readonly staged: ByteWriter = new ByteWriter(64 * 1024);
  private readonly stagedEnds: Array<usize> = [];
  private readonly stagedExpires: Array<u64> = [];
  private readonly names: NameSet = new NameSet();
  private readonly meta: PlanMeta = new PlanMeta();
  private version: Blob = new Blob(new ArrayBuffer(0));
  private readonly writer: RecordWriter;
  private lastFreshWriteMs: u64 = 0;
  readonly nodeId: string;
  readonly nodeCluster: string;

  constructor(
    config: Config,
    keys: Keys,
    channel: Channel,
    metrics: SyncMetrics,
    nodeId: string,
    nodeCluster: string,
  ) {
    this.config = config;
    this.keys = keys;
    this.writer = new RecordWriter(keys);
    this.channel = channel;
    this.metrics = metrics;
    this.nodeId = nodeId;
    this.nodeCluster = nodeCluster;
    this.loadMeta();
  }

  /** Carries generation and version over from an earlier sync root of this process. */
  private loadMeta(): void {
    const k = this.keys.meta;
    if (getSharedData(k.ptr, k.len) != WasmResult.Ok) return;
    const m = loadedMeta;
    if (!decodeMeta(returned.ptr, returned.len, m)) return;
    this.meta.generation = m.generation;
    this.meta.appliedMs = m.appliedMs;
    this.meta.freshMs = m.freshMs;
    this.version = Blob.copyOf(m.versionPtr, m.versionLen);
  }

  // Stream lifecycle ---------------------------------------------------------------------------

  start(now: u64): void {
    this.connect(now);
  }

  stop(): void {
    this.channel.shutdown();
    this.metrics.streamState(StreamState.Idle);
  }

  private connect(now: u64): void {
    const c = this.channel;
    if (c.opens > 0) this.metrics.reconnect();
    if (c.open(now) && !this.sendInitial()) {
      c.shutdown();
      c.closed(now);
    }
    this.metrics.streamState(c.state);
  }

  /** First request of a stream: node, type, wildcard subscription, what we already have. */
  private sendInitial(): bool {
    const r = this.request;
    r.begin(this.nodeId, this.nodeCluster, true);
    const ix = this.index;
    for (let i = 0; i < ix.users.length; i++) {
      if (ix.inUse[i]) r.initialVersion(ix.users[i], ix.versions[i]);
    }
    return this.channel.send(r.p.w.ptr, r.p.w.len);
  }

  tick(now: u64): void {
    const c = this.channel;
    if (c.due(now)) this.connect(now);
    if (
      c.state == StreamState.Connected &&
      now - this.lastFreshWriteMs >= <u64>this.config.sync.freshnessMs
    ) {
      this.meta.freshMs = now;
      this.writeMeta(now);
    }
    this.sweep(now);
  }

  onGrpcReceiveInitialMetadata(token: u32, _headers: u32): void {
    if (!this.channel.is(token)) return;
    this.channel.headersReceived();
    this.metrics.streamState(StreamState.Connected);
  }

  onGrpcClose(token: u32, status: u32, now: u64): void {
    if (!this.channel.is(token)) return;
    const level = status == GrpcStatus.Ok ? LogLevel.Info : LogLevel.Warn;
    const hint = status == GrpcStatus.Unauthenticated ? ' (the control plane refused the token)' : '';
    log(
      level,
      'earmark: reservation stream closed with gRPC status ' + status.toString() + hint + '; reconnecting',
    );
    this.channel.closed(now);
    this.metrics.streamState(this.channel.state);
  }

  onGrpcReceive(token: u32, size: u32, now: u64): void {
    if (!this.channel.is(token)) return;
    this.channel.answered();
    this.metrics.streamState(StreamState.Connected);
    if (getBufferBytes(BufferType.GrpcReceiveBuffer, 0, size) != WasmResult.Ok) return;
    this.handle(returned.ptr, returned.len, now);
  }

  // Responses ----------------------------------------------------------------------------------

  /** Validates and applies one DeltaDiscoveryResponse, then ACKs or NACKs it. */
  handle(ptr: usize, len: usize, now: u64): void {
    const resp = this.response;
    let error = '';
    if (!resp.decode(ptr, len)) {
      error = resp.error;
      // The decoder stops at the first error, usually before the nonce (written last): a NACK
      // without it matches no response, and the server would hold its in-flight slot forever.
      // Found by the top-level fields alone; when even they are broken the NACK goes without.
      resp.recoverNonce(ptr, len);
    } else if (resp.typeUrlLen > 0 && !bytesIs(resp.typeUrlPtr, resp.typeUrlLen, RESERVATION_TYPE_URL)) {
      error = 'type_url is not ' + RESERVATION_TYPE_URL;
    } else error = this.stage(now);
    if (error.length > 0) {
      this.metrics.nack();
      log(LogLevel.Warn, 'earmark: rejecting reservation update (NACK): ' + error);
      this.reply(true, error);
      return;
    }
    this.apply(now);
    this.metrics.ack();
    this.reply(false, '');
  }

  private reply(nack: bool, error: string): void {
    const r = this.request;
    r.begin('', '', false);
    const resp = this.response;
    if (resp.nonceLen > 0 || nack) r.nonce(resp.noncePtr, resp.nonceLen);
    if (nack) r.errorDetail(3, error);
    if (!this.channel.send(r.p.w.ptr, r.p.w.len)) log(LogLevel.Warn, 'earmark: cannot send the ACK/NACK');
  }

  /** Checks every resource and encodes the records; returns the first problem, or ''. */
  private stage(now: u64): string {
    const resp = this.response;
    const maxName = <usize>this.config.maxUserIdBytes;
    this.staged.reset();
    this.stagedEnds.length = 0;
    this.stagedExpires.length = 0;
    const removed = resp.removedPtrs.length;
    // Envoy refuses a name given twice: the response would not say which copy holds.
    const names = this.names;
    names.reset(resp.count + removed);
    for (let i = 0; i < resp.count; i++) {
      const res = resp.resources[i];
      if (res.nameLen == 0 || res.nameLen > maxName) {
        return (
          'resource #' +
          i.toString() +
          ': name must be 1 to ' +
          maxName.toString() +
          ' bytes (got ' +
          res.nameLen.toString() +
          ')'
        );
      }
      const name = String.UTF8.decodeUnsafe(res.namePtr, res.nameLen);
      if (!names.add(res.namePtr, res.nameLen))
        return "duplicate name '" + name + "' found among added/updated resources";
      if (res.hasBody) {
        if (!bytesIs(res.anyTypePtr, res.anyTypeLen, RESERVATION_TYPE_URL)) {
          return "resource '" + name + "': body type is not " + RESERVATION_TYPE_URL;
        }
        const d = this.decoder;
        if (!d.decode(res.bodyPtr, res.bodyLen, res.namePtr, res.nameLen))
          return "resource '" + name + "': " + d.error;
        const ttlDeadline = res.ttlMs != 0 ? now + res.ttlMs : 0;
        d.fields.validUntilMs = earliest(d.expiresMs, ttlDeadline);
        encodeRecord(this.staged, d.fields);
        this.stagedExpires.push(d.expiresMs);
      } else {
        this.stagedExpires.push(0);
      }
      this.stagedEnds.push(this.staged.len);
    }
    for (let i = 0; i < removed; i++) {
      const p = resp.removedPtrs[i];
      const n = resp.removedLens[i];
      if (n == 0 || n > maxName)
        return 'removed_resources #' + i.toString() + ': name must be 1 to ' + maxName.toString() + ' bytes';
      if (!names.add(p, n)) {
        const name = String.UTF8.decodeUnsafe(p, n);
        return "duplicate name '" + name + "' found in the union of added+removed resources";
      }
    }
    return '';
  }

  private apply(now: u64): void {
    const resp = this.response;
    const k = this.keys;
    let start: usize = 0;
    for (let i = 0; i < resp.count; i++) {
      const res = resp.resources[i];
      const end = this.stagedEnds[i];
      const name = String.UTF8.decodeUnsafe(res.namePtr, res.nameLen);
      const version = String.UTF8.decodeUnsafe(res.versionPtr, res.versionLen);
      const ttlDeadline = res.ttlMs != 0 ? now + res.ttlMs : 0;
      const mark = scratchMark();
      if (res.hasBody) {
        this.writer.reservation(res.namePtr, res.nameLen, this.staged.ptr + start, end - start, now);
        this.index.upsert(name, version, ttlDeadline, this.stagedExpires[i]);
      } else {
        this.heartbeat(name, version, ttlDeadline, res.namePtr, res.nameLen);
      }
      scratchRelease(mark);
      start = end;
    }
    for (let i = 0; i < resp.removedPtrs.length; i++) {
      const name = String.UTF8.decodeUnsafe(resp.removedPtrs[i], resp.removedLens[i]);
      if (this.withdraw(name)) this.metrics.removed(1);
    }
    if (resp.systemVersionLen > 0) this.version = Blob.copyOf(resp.systemVersionPtr, resp.systemVersionLen);
    this.meta.generation++;
    this.meta.appliedMs = now;
    this.meta.freshMs = now;
    this.writeMeta(now);
    if (logEnabled(LogLevel.Debug)) {
      log(
        LogLevel.Debug,
        'earmark: applied ' +
          resp.count.toString() +
          ' reservations, ' +
          resp.removedPtrs.length.toString() +
          ' removals',
      );
    }
  }

  /**
   * A resource without body refreshes the TTL of the version we hold; a heartbeat naming another
   * version (one we NACKed, or never got) is ignored, so a copy the server no longer stands
   * behind expires at its TTL. The record's deadline follows the TTL.
   */
  private heartbeat(name: string, version: string, ttlDeadline: u64, namePtr: usize, nameLen: usize): void {
    const i = this.index.find(name);
    if (i < 0 || this.index.versions[i] != version) return;
    this.index.upsert(name, version, ttlDeadline, this.index.expires[i]);
    this.writer.deadline(namePtr, nameLen, this.index.deadline(i));
  }

  /** Shrinks a user's record to a tombstone and forgets it; false when we did not hold it. */
  withdraw(name: string): bool {
    if (!this.index.remove(name)) return false;
    this.writer.tombstone(name);
    return true;
  }

  private sweep(now: u64): void {
    const expired = this.index.sweep(now, <i32>this.config.sync.sweepPerTick);
    for (let i = 0; i < expired.length; i++) this.withdraw(expired[i]);
    if (expired.length > 0) {
      this.metrics.expired(expired.length);
      this.writeMeta(now);
    }
  }

  private writeMeta(now: u64): void {
    const m = this.meta;
    m.state = <u32>this.channel.state;
    m.resources = <u32>this.index.count;
    m.versionPtr = this.version.ptr;
    m.versionLen = this.version.len;
    this.writer.meta(m);
    this.lastFreshWriteMs = now;
    this.metrics.resources(this.index.count);
  }

  get versionText(): string {
    return this.version.toString();
  }
}

function earliest(a: u64, b: u64): u64 {
  if (a == 0) return b;
  if (b == 0) return a;
  return a < b ? a : b;
}

function bytesIs(ptr: usize, len: usize, s: string): bool {
  if (<usize>String.UTF8.byteLength(s) != len) return false;
  for (let i: usize = 0; i < len; i++) if (<i32>load<u8>(ptr + i) != s.charCodeAt(<i32>i)) return false;
  return true;
}
