/**
 * One proxy's DeltaReservations stream: the xDS incremental protocol loop.
 *
 * What the client holds is tracked as a revision watermark, not a per-resource map, so a stream
 * costs O(subscribed names + exceptions), not O(users): after the responses up to revision R are
 * sent, the client holds the cache as of R (for what it subscribes to). Exceptions are kept
 * explicitly: resources of a NACKed response (the client kept its previous versions).
 *
 *  - First request: node.id is required; the subscription (wildcard or names) and
 *    initial_resource_versions decide the first transfer: only resources whose version differs,
 *    plus removals for names the client has that no longer exist.
 *  - Each cache revision is sent as one or more responses; the last carries system_version_info.
 *  - A request whose response_nonce names an in-flight response ACKs it, or NACKs it when
 *    error_detail is set. Unknown nonces are counted and otherwise ignored.
 *  - Slow proxies: a stream writes only while HTTP/2 accepts (write() true, else wait 'drain') and
 *    while fewer than maxInFlight responses await an ACK. Meanwhile revisions accumulate as a
 *    watermark; when the stream can write again it sends the union of what changed, at its latest
 *    state, so a lagging proxy skips intermediate versions and nothing is buffered per revision.
 */
import { assertWellFramed } from '../codec/wire-reader';
import { Status } from '../transport/grpc-status';
import type { ServerCall } from '../transport/server-call';
import type { StreamHost } from './stream-host';
import { parseDeltaRequest, type DeltaRequest, type RawDeltaRequest } from './delta-request';
import type { ResponseChunk } from './response-chunk';
import { Subscription } from './subscription';
import type { Transfer } from './transfer';

interface InFlight {
  chunk: ResponseChunk;
  sentAtMs: number;
}

export interface NackRecord {
  nonce: string;
  atMs: number;
  code: number;
  message: string;
  resources: number;
}

export type ResourceAckState = 'acked' | 'pending' | 'rejected' | 'not-subscribed' | 'absent';

export class DeltaStream {
  nodeId: string | undefined;
  sub: Subscription | undefined;
  readonly openedAtMs: number;
  closedAtMs: number | undefined;
  lastRequestAtMs = 0;
  /** Revision whose changes are sent or queued; fully sent; last ACKed by the client. */
  collected = 0;
  sentRevision = 0;
  ackedRevision = 0;
  ackedSystemVersion = '';
  readonly inFlight = new Map<string, InFlight>();
  /** Resources of NACKed responses: name -> the version the client refused. */
  readonly rejected = new Map<string, string>();
  readonly stats = {
    responses: 0,
    resources: 0,
    removals: 0,
    heartbeats: 0,
    acks: 0,
    nacks: 0,
    staleNonces: 0,
    bytes: 0,
  };
  lastNack: NackRecord | undefined;
  writeBlocked = false;
  /** What is being sent now, and the index of the next chunk of it to send. */
  private transfer: Transfer | undefined;
  private index = 0;
  /** Names to send at their current state on the next collection (new explicit subscriptions). */
  private extra = new Set<string>();
  private heartbeatTick = 0;
  private pumping = false;
  private repump = false;
  private closed = false;

  constructor(
    readonly id: number,
    readonly call: ServerCall,
    private readonly host: StreamHost,
  ) {
    this.openedAtMs = host.clock.now();
    call.on('message', (bytes) => this.onMessage(bytes));
    call.on('end', () => this.close(Status.OK, 'client closed the stream'));
    call.on('cancelled', () => this.close(Status.CANCELLED, 'stream cancelled or connection lost'));
    call.on('failed', (err) => this.close(err.code, err.message));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private onMessage(bytes: Buffer): void {
    let raw: RawDeltaRequest;
    try {
      assertWellFramed(bytes);
      raw = this.host.requestCodec.deserialize(bytes) as RawDeltaRequest;
    } catch (err) {
      return this.fail(
        Status.INVALID_ARGUMENT,
        `undecodable DeltaDiscoveryRequest: ${(err as Error).message}`,
      );
    }
    const parsed = parseDeltaRequest(raw);
    if (!parsed.ok) return this.fail(Status.INVALID_ARGUMENT, parsed.error);
    const req = parsed.value;
    this.lastRequestAtMs = this.host.clock.now();
    this.host.metrics.requests.inc();
    if (!this.sub) {
      if (!req.nodeId)
        return this.fail(Status.INVALID_ARGUMENT, 'the first DeltaDiscoveryRequest must carry node.id');
      this.nodeId = req.nodeId;
      this.host.identified(this);
    }
    this.host.callbacks.onRequest?.(this.info(), {
      responseNonce: req.responseNonce,
      subscribe: req.subscribe.length,
      unsubscribe: req.unsubscribe.length,
      initialVersions: req.initialVersions.size,
      errorDetail: req.errorDetail?.message,
    });
    if (req.responseNonce) this.onReply(req);
    if (!this.sub) this.start(req);
    else this.resubscribe(req);
    this.pump();
  }

  /** The first transfer: what differs between the client's initial versions and the cache. */
  private start(req: DeltaRequest): void {
    const sub = Subscription.initial(req.subscribe);
    this.sub = sub;
    const cache = this.host.cache;
    const initial = req.initialVersions;
    this.collected = cache.revision;
    if (sub.wildcard && initial.size === 0) {
      this.setTransfer(this.host.chunks.snapshot());
      return;
    }
    const candidates = new Set<string>(sub.names);
    if (sub.wildcard) for (const e of cache.values()) candidates.add(e.name);
    for (const n of initial.keys()) if (sub.covers(n)) candidates.add(n);
    const names: string[] = [];
    for (const n of candidates) {
      const e = cache.get(n);
      if (e) {
        if (initial.get(n) !== e.version) names.push(n);
      } else if (initial.has(n) || sub.names.has(n)) {
        names.push(n); // a removal: the client has it, or asked for it and must learn it does not exist
      }
    }
    this.setTransfer(this.host.chunks.updates(names));
  }

  private setTransfer(t: Transfer | undefined): void {
    this.transfer = t;
    this.index = 0;
  }

  private resubscribe(req: DeltaRequest): void {
    if (req.subscribe.length === 0 && req.unsubscribe.length === 0) return;
    const { added, becameWildcard } = this.sub!.update(req.subscribe, req.unsubscribe);
    if (becameWildcard) for (const e of this.host.cache.values()) this.extra.add(e.name);
    for (const n of added) this.extra.add(n);
  }

  private onReply(req: DeltaRequest): void {
    const f = this.inFlight.get(req.responseNonce);
    if (!f) {
      this.stats.staleNonces++;
      this.host.metrics.staleNonces.inc();
      this.host.logger.debug('request echoes a nonce not in flight', {
        node: this.nodeId,
        nonce: req.responseNonce,
      });
      return;
    }
    this.inFlight.delete(req.responseNonce);
    const chunk = f.chunk;
    if (req.errorDetail) return this.onNack(chunk, req.errorDetail);
    this.stats.acks++;
    this.host.metrics.acks.inc();
    if (this.rejected.size > 0) for (const n of chunk.names) this.rejected.delete(n);
    let publishToAckMs: number | undefined;
    if (chunk.toRevision !== undefined && chunk.toRevision > this.ackedRevision) {
      this.ackedRevision = chunk.toRevision;
      this.ackedSystemVersion = chunk.systemVersion;
      const rec = this.host.cache.revisionRecord(chunk.toRevision);
      if (rec) {
        publishToAckMs = this.host.clock.now() - rec.publishedAtMs;
        this.host.metrics.publishToAck.observe(publishToAckMs / 1000);
      }
    }
    this.host.callbacks.onAck?.(this.info(), {
      nonce: chunk.nonce,
      revision: chunk.toRevision,
      systemVersion: chunk.systemVersion,
      publishToAckMs,
    });
  }

  private onNack(chunk: ResponseChunk, err: { code: number; message: string }): void {
    this.stats.nacks++;
    this.host.metrics.nacks.inc();
    // Heartbeats carry no new versions: only a rejected update leaves the node on older ones.
    if (chunk.kind === 'update') chunk.names.forEach((n, i) => this.rejected.set(n, chunk.versions[i]));
    this.lastNack = {
      nonce: chunk.nonce,
      atMs: this.host.clock.now(),
      code: err.code,
      message: err.message,
      resources: chunk.names.length,
    };
    this.host.logger.warn('proxy rejected a response (NACK); it keeps its previous reservations', {
      node: this.nodeId,
      nonce: chunk.nonce,
      resources: chunk.names.length,
      error: err.message,
    });
    this.host.callbacks.onNack?.(this.info(), {
      nonce: chunk.nonce,
      code: err.code,
      message: err.message,
      resources: chunk.names.length,
    });
  }

  /** The cache moved on, or a heartbeat tick came: send when the stream can. */
  notify(heartbeatTick?: number): void {
    if (heartbeatTick !== undefined) this.heartbeatTick = heartbeatTick;
    this.pump();
  }

  private heartbeatDue(): boolean {
    return this.heartbeatTick > 0 && this.host.cache.ttlMs > 0 && this.sentRevision === this.collected;
  }

  /** Next response to send, collecting (or re-planning) changes when the transfer allows. */
  private next(): ResponseChunk | undefined {
    const cache = this.host.cache;
    const t = this.transfer;
    if (t && t.hasChunk(this.index)) {
      // Heartbeats finish first; an unfinished update is merged with the newer revisions.
      if (t.kind === 'update' && this.collected < cache.revision) this.replan(t);
    } else {
      this.transfer = undefined;
      if (this.collected < cache.revision || this.extra.size > 0) this.collect();
      else if (this.heartbeatDue()) {
        const tick = this.heartbeatTick;
        this.heartbeatTick = 0;
        const sub = this.sub!;
        this.setTransfer(
          sub.wildcard
            ? this.host.chunks.wildcardHeartbeats(tick)
            : this.host.chunks.heartbeatsFor([...sub.names]),
        );
      }
    }
    const chunk = this.transfer?.chunk(this.index);
    if (chunk) this.index++;
    return chunk;
  }

  private changedNames(): readonly string[] | undefined {
    const names = this.host.cache.changedSince(this.collected);
    if (names === undefined) {
      this.fail(
        Status.UNAVAILABLE,
        'this stream fell behind the change log; reconnect with initial_resource_versions to resync',
      );
    }
    return names;
  }

  private collect(): void {
    const from = this.collected;
    const changed = this.changedNames();
    if (!changed) return;
    const sub = this.sub!;
    this.collected = this.host.cache.revision;
    if (this.extra.size === 0 && sub.wildcard) {
      this.setTransfer(this.host.chunks.wildcardDelta(from, changed));
      return;
    }
    const names = new Set(this.extra);
    this.extra.clear();
    for (const n of changed) if (sub.covers(n)) names.add(n);
    this.setTransfer(this.host.chunks.updates([...names]));
  }

  /** New revisions while a transfer is unfinished: one transfer of what is left plus what changed, at the latest state. */
  private replan(t: Transfer): void {
    const names = new Set<string>(t.namesFrom(this.index));
    for (const n of this.extra) names.add(n);
    this.extra.clear();
    const changed = this.changedNames();
    if (!changed) return;
    for (const n of changed) if (this.sub!.covers(n)) names.add(n);
    this.collected = this.host.cache.revision;
    this.setTransfer(this.host.chunks.updates([...names]));
  }

  private pump(): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    this.repump = false;
    this.pumpLoop()
      .catch((err) => this.fail(Status.INTERNAL, `sending failed: ${(err as Error).message}`))
      .finally(() => {
        this.pumping = false;
        if (this.repump && !this.closed) this.pump();
      });
  }

  private async pumpLoop(): Promise<void> {
    const o = this.host.options;
    while (!this.closed && this.sub && !this.writeBlocked && this.inFlight.size < o.maxInFlight) {
      const chunk = this.next();
      if (!chunk) return;
      // Prepare (encode, compress) the next response while this one is written.
      const ahead = this.transfer?.hasChunk(this.index) ? this.transfer.chunk(this.index) : undefined;
      if (ahead) void ahead.payload(this.call.responseEncoding, o.compression).catch(() => undefined);
      const { payload, compressed } = await chunk.payload(this.call.responseEncoding, o.compression);
      if (this.closed) return;
      this.inFlight.set(chunk.nonce, { chunk, sentAtMs: this.host.clock.now() });
      const flushed = this.call.write(payload, compressed);
      if (chunk.toRevision !== undefined) this.sentRevision = chunk.toRevision;
      this.recordSend(chunk, payload.length + 5, compressed);
      if (!flushed) {
        this.writeBlocked = true;
        this.call.once('drain', () => {
          this.writeBlocked = false;
          this.pump();
        });
      }
    }
  }

  private recordSend(chunk: ResponseChunk, bytes: number, compressed: boolean): void {
    const m = this.host.metrics;
    const s = this.stats;
    s.responses++;
    s.bytes += bytes;
    m.responses.inc({ kind: chunk.kind });
    m.bytesSent.inc({ encoding: compressed ? this.call.responseEncoding : 'identity' }, bytes);
    m.rawBytesSent.inc(chunk.body.length + 5);
    if (chunk.kind === 'heartbeat') {
      s.heartbeats += chunk.names.length;
      m.resourcesSent.inc({ kind: 'heartbeat' }, chunk.names.length);
    } else {
      s.resources += chunk.names.length;
      s.removals += chunk.removed.length;
      m.resourcesSent.inc({ kind: 'reservation' }, chunk.names.length);
      m.resourcesSent.inc({ kind: 'removal' }, chunk.removed.length);
    }
    this.host.callbacks.onResponse?.(this.info(), {
      nonce: chunk.nonce,
      kind: chunk.kind,
      resources: chunk.names.length,
      removed: chunk.removed.length,
      bytes,
      rawBytes: chunk.body.length + 5,
      compressed,
      revision: chunk.toRevision,
      systemVersion: chunk.systemVersion,
    });
  }

  /** Where the node stands on one user's reservation. */
  resourceState(name: string): { state: ResourceAckState; version?: string } {
    const e = this.host.cache.get(name);
    const rejected = this.rejected.get(name);
    if (!this.sub || !this.sub.covers(name)) return { state: 'not-subscribed' };
    if (rejected !== undefined && e?.version === rejected) return { state: 'rejected', version: rejected };
    if (!e) return { state: 'absent' };
    if (e.revision <= this.ackedRevision) return { state: 'acked', version: e.version };
    return { state: 'pending', version: e.version };
  }

  info() {
    return { streamId: this.id, nodeId: this.nodeId, peer: this.call.peer, service: 'discovery' as const };
  }

  fail(code: number, message: string): void {
    if (this.closed) return;
    this.host.logger.warn('closing discovery stream', {
      node: this.nodeId,
      peer: this.call.peer,
      code,
      error: message,
    });
    this.call.end(code as never, message);
    this.close(code, message);
  }

  close(code: number, message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closedAtMs = this.host.clock.now();
    if (!this.call.isEnded) this.call.end(code as never, message);
    this.transfer = undefined;
    this.host.closed(this, { code, message });
  }
}
