/**
 * One proxy's DeltaReservations stream: the xDS incremental protocol loop (what to send next is
 * stream-plan.ts). What the client holds is a revision watermark plus the resources of NACKed
 * responses, so a stream costs O(subscribed names), not O(users).
 *
 *  - First request: node.id is required; the subscription and initial_resource_versions decide
 *    the first transfer. Each revision goes out as one or more responses; the last carries
 *    system_version_info.
 *  - response_nonce naming an in-flight response ACKs it, or NACKs it when error_detail is set.
 *    Unknown nonces are counted and otherwise ignored.
 *  - A stream writes only while HTTP/2 accepts (write() true, else wait 'drain') and while fewer
 *    than maxInFlight responses await an ACK; meanwhile revisions coalesce in the plan.
 */
import { assertWellFramed } from '../codec/wire-reader';
import { Status } from '../transport/grpc-status';
import type { ServerCall } from '../transport/server-call';
import type { StreamHost } from './stream-host';
import { parseDeltaRequest, type DeltaRequest, type RawDeltaRequest } from './delta-request';
import type { ResponseChunk } from './response-chunk';
import { Subscription } from './subscription';
import { BEHIND, StreamPlan } from './stream-plan';

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

/** In `rejected`, for a removal the node NACKed (versions are never empty). */
const REFUSED_REMOVAL = '';

export type ResourceAckState = 'acked' | 'pending' | 'rejected' | 'not-subscribed' | 'absent';

export class DeltaStream {
  nodeId: string | undefined;
  sub: Subscription | undefined;
  readonly openedAtMs: number;
  closedAtMs: number | undefined;
  lastRequestAtMs = 0;
  /** The last revision fully sent to the client, and the last one it ACKed. */
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
  private plan: StreamPlan | undefined;
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
    // Ended by the server itself (shutdown): the stream is gone all the same.
    call.on('closed', (st) => this.close(st?.code ?? Status.CANCELLED, st?.message ?? 'stream closed'));
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
    if (this.sub && !req.responseNonce && req.errorDetail) return this.nackWithoutNonce(req.errorDetail);
    if (req.responseNonce) this.onReply(req);
    if (!this.sub) this.start(req);
    else this.resubscribe(req);
    this.pump();
  }

  /** The first request: the subscription, and a first transfer of what the client lacks. */
  private start(req: DeltaRequest): void {
    this.sub = Subscription.initial(req.subscribe);
    this.plan = new StreamPlan(this.host.cache, this.host.chunks, this.sub, req.initialVersions);
  }

  private resubscribe(req: DeltaRequest): void {
    if (req.subscribe.length === 0 && req.unsubscribe.length === 0) return;
    const { added, becameWildcard } = this.sub!.update(req.subscribe, req.unsubscribe);
    if (becameWildcard) for (const e of this.host.cache.values()) this.plan!.add([e.name]);
    this.plan!.add(added);
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
    if (this.rejected.size > 0) {
      for (const n of chunk.names) this.rejected.delete(n);
      for (const n of chunk.removed) this.rejected.delete(n);
    }
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

  /**
   * A NACK that names no response (the client could not read the nonce): none of the responses in
   * flight can be settled by it, and each holds one of maxInFlight places for good, so the stream
   * would end up sending nothing, heartbeats included. Ended instead; the client reconnects and
   * resyncs from initial_resource_versions.
   */
  private nackWithoutNonce(err: { code: number; message: string }): void {
    this.stats.nacks++;
    this.host.metrics.nacks.inc();
    this.lastNack = {
      nonce: '',
      atMs: this.host.clock.now(),
      code: err.code,
      message: err.message,
      resources: 0,
    };
    this.fail(
      Status.INVALID_ARGUMENT,
      `a NACK must echo the response_nonce of the response it rejects (error_detail: ${err.message})`,
    );
  }

  private onNack(chunk: ResponseChunk, err: { code: number; message: string }): void {
    this.stats.nacks++;
    this.host.metrics.nacks.inc();
    // Heartbeats carry no new versions: only a rejected update leaves the node on older ones.
    if (chunk.kind === 'update') {
      chunk.names.forEach((n, i) => this.rejected.set(n, chunk.versions[i]));
      // A refused removal: the node still holds the user the cache no longer has.
      for (const n of chunk.removed) this.rejected.set(n, REFUSED_REMOVAL);
    }
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
    if (heartbeatTick !== undefined) this.plan?.heartbeat(heartbeatTick);
    this.pump();
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
      const chunk = this.plan!.next(this.sentRevision);
      if (chunk === BEHIND) {
        return this.fail(
          Status.UNAVAILABLE,
          'this stream fell behind the change log; reconnect with initial_resource_versions to resync',
        );
      }
      if (!chunk) return;
      // Prepare (encode, compress) the next response while this one is written.
      const ahead = this.plan!.peek();
      if (ahead) void ahead.payload(this.call.responseEncoding, o.compression).catch(() => undefined);
      const { framed, compressed } = await chunk.payload(this.call.responseEncoding, o.compression);
      if (this.closed) return;
      this.inFlight.set(chunk.nonce, { chunk, sentAtMs: this.host.clock.now() });
      const flushed = this.call.writeFramed(framed);
      if (chunk.toRevision !== undefined) this.sentRevision = chunk.toRevision;
      this.recordSend(chunk, framed.length, compressed);
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
    if (!e) return { state: rejected === REFUSED_REMOVAL ? 'rejected' : 'absent' };
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
    this.plan?.dispose();
    this.host.closed(this, { code, message });
  }
}
