/**
 * The reference client of DeltaReservations, on @grpc/grpc-js or on our own node:http2 client
 * transport (delta-transport.ts): what the filter's sync root does, in TypeScript, for tests, the
 * demo and benchmarks. It subscribes (wildcard by default), applies
 * each response atomically, ACKs it or NACKs it with error_detail (keeping its last good state),
 * expires reservations whose TTL runs out, and reconnects with backoff, sending
 * initial_resource_versions so the server resends only what changed.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { SystemClock, type Clock, type TimerHandle } from '../../domain/clock';
import { encodeAck } from '../codec/delta-request-codec';
import { RESERVATION_TYPE_URL } from '../codec/resource-codec';
import { responseNonce } from '../codec/response-nonce';
import { deltaRequestCodec } from '../protos';
import type { ClientTls } from '../transport/grpc-channel';
import { grpcJsTransport, http2Transport, type DeltaCall, type DeltaTransport } from './delta-transport';
import { ReservationState, type ApplyResult, type ReservationCheck } from './reservation-state';

/** Subscribing to it covers every reservation (xDS wildcard). */
const WILDCARD = '*';

export interface ReservationClientOptions {
  /** host:port of the distribution server. */
  address: string;
  nodeId: string;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** 'grpc-js' (default) or 'http2': our own client transport (transport/grpc-channel.ts). */
  transport?: 'grpc-js' | 'http2';
  /** grpc-js transport only. */
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** http2 transport only: TLS (absent = h2c), and the :authority to send. */
  tls?: ClientTls;
  authority?: string;
  /** http2 transport only: HTTP/2 receive window of the stream and connection (default 8 MiB). */
  windowBytes?: number;
  /** Names to subscribe to; empty or absent = wildcard (every reservation). */
  subscribe?: string[];
  check?: ReservationCheck;
  clock?: Clock;
  /** Reconnect backoff (doubling, with jitter); false = do not reconnect. */
  reconnect?: false | { initialMs?: number; maxMs?: number };
  /** How often TTLs are checked (default 250 ms). */
  ttlSweepMs?: number;
}

export interface ResponseEvent {
  nonce: string;
  systemVersion: string;
  applied: boolean;
  updated: string[];
  removed: string[];
  heartbeats: number;
  error?: string;
}

export interface ClientEvents {
  connected: [];
  disconnected: [status: { code: number; details: string }];
  response: [ev: ResponseEvent];
  expired: [names: string[]];
}

export class ReservationClient extends EventEmitter<ClientEvents> {
  readonly state: ReservationState;
  readonly stats = {
    responses: 0,
    acks: 0,
    nacks: 0,
    connects: 0,
    resources: 0,
    removals: 0,
    heartbeats: 0,
    /** Responses not even the nonce of which could be read: each ended the stream. */
    undecodable: 0,
  };
  lastNack: { nonce: string; error: string } | undefined;
  lastUndecodable: string | undefined;
  lastStatus: { code: number; details: string } | undefined;
  private readonly transport: DeltaTransport;
  private readonly codec = deltaRequestCodec<object>();
  private readonly clock: Clock;
  private call: DeltaCall | undefined;
  private subscribed: Set<string>;
  /** Whether the stream covers every reservation ("*", or the legacy first request with no names). */
  private wildcard: boolean;
  private stopped = false;
  private backoffMs: number;
  private reconnectTimer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private paused = false;

  constructor(private readonly opts: ReservationClientOptions) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.state = new ReservationState(opts.check);
    this.subscribed = new Set(opts.subscribe ?? []);
    // No names at all is the legacy wildcard form; it stays wildcard when names are added later.
    this.wildcard = this.subscribed.size === 0 || this.subscribed.has(WILDCARD);
    this.backoffMs = opts.reconnect === false ? 0 : (opts.reconnect?.initialMs ?? 100);
    if (opts.transport === 'http2' && (opts.credentials || opts.channelOptions)) {
      throw new Error('credentials and channelOptions are grpc-js options; use tls and authority with http2');
    }
    this.transport =
      opts.transport === 'http2'
        ? http2Transport(opts.address, {
            tls: opts.tls,
            authority: opts.authority,
            windowBytes: opts.windowBytes,
          })
        : grpcJsTransport(opts.address, {
            credentials: opts.credentials,
            channelOptions: opts.channelOptions,
          });
  }

  get connected(): boolean {
    return this.call !== undefined;
  }

  start(): this {
    this.connect();
    this.scheduleSweep();
    return this;
  }

  private connect(): void {
    if (this.stopped) return;
    const md: Record<string, string> = {};
    if (this.opts.token !== undefined) md.authorization = `Bearer ${this.opts.token}`;
    const call: DeltaCall = this.transport.open(md, {
      message: (bytes) => this.onResponse(call, bytes),
      status: (code, details) => {
        if (this.call === call) this.call = undefined;
        this.lastStatus = { code, details };
        this.emit('disconnected', { code, details });
        this.scheduleReconnect();
      },
    });
    this.call = call;
    this.stats.connects++;
    if (this.paused) call.pause();
    this.send(call, {
      node: { id: this.opts.nodeId },
      typeUrl: RESERVATION_TYPE_URL,
      resourceNamesSubscribe: this.subscriptionOnConnect(),
      initialResourceVersions: this.state.versions(),
    });
    this.emit('connected');
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.opts.reconnect === false) return;
    const max = this.opts.reconnect?.maxMs ?? 5000;
    const delay = this.backoffMs * (0.8 + Math.random() * 0.4);
    this.backoffMs = Math.min(max, this.backoffMs * 2);
    this.reconnectTimer = this.clock.setTimer(delay, () => this.connect());
  }

  /** Writes a DeltaDiscoveryRequest given as an object (proto-loader field names). */
  private send(call: DeltaCall | undefined, request: object): void {
    call?.write(this.codec.serialize(request));
  }

  private onResponse(call: DeltaCall, bytes: Buffer): void {
    this.stats.responses++;
    this.backoffMs = this.opts.reconnect === false ? 0 : (this.opts.reconnect?.initialMs ?? 100);
    let r: ApplyResult;
    try {
      r = this.state.apply(bytes, this.clock.now());
    } catch (err) {
      const error = `undecodable response: ${(err as Error).message}`;
      const nonce = responseNonce(bytes);
      if (nonce !== undefined) return this.reply(call, nonce, '', error);
      // No nonce to NACK with: end the stream (Envoy resets on a message it cannot parse); the
      // reconnect resyncs from initial_resource_versions, and the state is kept meanwhile.
      this.stats.undecodable++;
      this.lastUndecodable = error;
      call.cancel();
      return;
    }
    if (!r.ok) return this.reply(call, r.nonce, r.systemVersion, r.error);
    // ACK first: the server measures publish-to-ACK, and the bookkeeping below can wait.
    this.reply(call, r.nonce, r.systemVersion);
    this.stats.resources += r.updatedCount;
    this.stats.removals += r.removed.length;
    this.stats.heartbeats += r.heartbeats;
    this.emit('response', {
      nonce: r.nonce,
      systemVersion: r.systemVersion,
      applied: true,
      get updated() {
        return r.updated; // names made only if a listener reads them
      },
      removed: r.removed,
      heartbeats: r.heartbeats,
    });
    // `updated` re-reads the response's bytes; a lending transport reuses them after this call,
    // so a listener that kept the event gets the names now.
    if (this.transport.lendsMessages && this.listenerCount('response') > 0) void r.updated;
  }

  /** ACK (no error) or NACK (error_detail set) the response with this nonce. */
  private reply(call: DeltaCall, nonce: string, systemVersion: string, error?: string): void {
    if (error !== undefined) {
      this.stats.nacks++;
      this.lastNack = { nonce, error };
    } else this.stats.acks++;
    const detail = error === undefined ? undefined : { code: grpc.status.INVALID_ARGUMENT, message: error };
    call.write(encodeAck(RESERVATION_TYPE_URL, nonce, detail));
    if (error !== undefined) {
      this.emit('response', {
        nonce,
        systemVersion,
        applied: false,
        updated: [],
        removed: [],
        heartbeats: 0,
        error,
      });
    }
  }

  /**
   * The whole interest, as a reconnect must state it (Envoy's getNextRequestAckless: "we must
   * explicitly state *all* of our subscription interest"): wildcard with names is "*" plus them,
   * or a stream that once was wildcard would come back as explicit names only.
   */
  private subscriptionOnConnect(): string[] {
    const names = [...this.subscribed].filter((n) => n !== WILDCARD);
    if (!this.wildcard) return names;
    return names.length === 0 && !this.subscribed.has(WILDCARD) ? [] : [WILDCARD, ...names];
  }

  /** Subscribes to more names (or '*' for wildcard) on the live stream and on reconnects. */
  subscribe(names: string[]): void {
    for (const n of names) {
      this.subscribed.add(n);
      if (n === WILDCARD) this.wildcard = true;
    }
    this.send(this.call, { typeUrl: RESERVATION_TYPE_URL, resourceNamesSubscribe: names });
  }

  /**
   * Unsubscribes. The server sends no removal for them, so the client drops what it no longer
   * covers: a name only if wildcard does not still cover it (Envoy keeps those too), and on
   * leaving wildcard every reservation not named explicitly.
   */
  unsubscribe(names: string[]): void {
    for (const n of names) {
      this.subscribed.delete(n);
      if (n === WILDCARD) this.wildcard = false;
    }
    for (const n of names) if (n !== WILDCARD && !this.wildcard) this.state.drop(n);
    if (!this.wildcard && names.includes(WILDCARD))
      for (const user of [...this.state.held.keys()]) if (!this.subscribed.has(user)) this.state.drop(user);
    this.send(this.call, { typeUrl: RESERVATION_TYPE_URL, resourceNamesUnsubscribe: names });
  }

  /** Stops reading responses, as a stuck proxy would (HTTP/2 flow control then holds the server back). */
  pause(): void {
    this.paused = true;
    this.call?.pause();
  }
  resume(): void {
    this.paused = false;
    this.call?.resume();
  }

  /** Drops the stream without stopping: the client reconnects (after backoff) and resyncs. */
  disconnect(): void {
    this.call?.cancel();
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = this.clock.setTimer(this.opts.ttlSweepMs ?? 250, () => {
      const gone = this.state.expire(this.clock.now());
      if (gone.length > 0) this.emit('expired', gone);
      this.scheduleSweep();
    });
  }

  /** Resolves once `predicate` holds, checking after every event; rejects after timeoutMs. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const events = ['response', 'expired', 'connected', 'disconnected'] as const;
      const check = () => {
        if (!predicate()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        for (const e of events) this.off(e, check);
      };
      for (const e of events) this.on(e, check);
    });
  }

  stop(): void {
    this.stopped = true;
    this.reconnectTimer?.cancel();
    this.sweepTimer?.cancel();
    this.call?.cancel();
    this.call = undefined;
    this.transport.close();
  }
}
