// The filter-manager side of an HTTP stream: per-direction iteration state (running, stopped at
// headers/body/trailers, resumed) and the calls into the VM with Envoy's CHECK_FAIL and status
// conversion. stream-filter-core.ts adds what host calls need; http-stream.ts the driver API.

import type { FilterResult } from './abi';
import type { Context } from './context';
import { HeaderMap } from './header-map';
import { StreamFlags } from './stream-flags';
import type { LocalReply } from './local-reply';
import type { StreamInfo } from './stream-properties';
import type { WasmVm } from './vm';

interface Direction {
  state: 'open' | 'headers_paused' | 'body_paused' | 'trailers_paused';
  /** Data that arrived while stopped at headers: delivered to the filter on resume. */
  pendingBody: Uint8Array;
  pendingEos: boolean;
  pendingTrailers: boolean;
  /** Data the filter saw and stopped (StopIterationAndBuffer/Watermark): forwarded on resume. */
  held: Uint8Array;
  buffering: boolean;
  trailersForwarded: boolean;
}

export const EMPTY = new Uint8Array(0);
/** Placeholder until the driver sends headers (never written: every send installs a fresh map). */
const EMPTY_MAP = new HeaderMap();
Object.freeze(EMPTY_MAP.kv);
const dir = (): Direction => ({
  state: 'open',
  pendingBody: EMPTY,
  pendingEos: false,
  pendingTrailers: false,
  held: EMPTY,
  buffering: false,
  trailersForwarded: false,
});
/**
 * What a direction that never stopped reads as. A stream's directions are made only when one
 * stops, buffers or waits (two objects per request otherwise); frozen, so a write to it throws.
 */
const OPEN: Readonly<Direction> = Object.freeze(dir());

export abstract class StreamState extends StreamFlags {
  declare requestHeaders: HeaderMap;
  declare responseHeaders: HeaderMap;
  declare protected reqTrailers: HeaderMap | null;
  declare protected respTrailers: HeaderMap | null;
  /** Bytes the filter let through upstream / downstream. */
  declare requestBody: Uint8Array;
  declare responseBody: Uint8Array;
  declare lastStatus: string;
  declare resetReason: string | undefined;
  declare routeCacheCleared: number;
  declare private calls: Record<string, number> | null;
  declare protected state: Map<string, Uint8Array> | null;
  /** Stream start, epoch ms (request.time). */
  declare readonly startMs: number;

  declare protected reply: LocalReply | undefined;
  declare private reqDir: Direction | null;
  declare private respDir: Direction | null;
  declare protected reqBody: Uint8Array | null;
  declare protected respBody: Uint8Array | null;
  /** Direction whose callback is running (-1: none): continue requests for it wait until it returns. */
  declare protected dispatching: number;

  constructor(
    protected readonly vm: WasmVm | null,
    protected readonly ctx: Context | null,
    protected readonly mode: 'filter' | 'fail_open' | 'fail_closed',
    private readonly given: StreamInfo,
    private readonly connectionId: number,
    private readonly allowHeadersStop: boolean,
    private readonly failOpen: boolean,
  ) {
    super();
    // Fields are assigned here, in one fixed order, instead of as class fields: V8 runs class
    // field initializers as a separate function per construction, and a stream is built per request.
    this.requestHeaders = EMPTY_MAP;
    this.responseHeaders = EMPTY_MAP;
    this.reqTrailers = null;
    this.respTrailers = null;
    this.requestBody = EMPTY;
    this.responseBody = EMPTY;
    this.lastStatus = '';
    this.resetReason = undefined;
    this.routeCacheCleared = 0;
    this.calls = null;
    this.state = null;
    this.reply = undefined;
    this.reqDir = null;
    this.respDir = null;
    this.reqBody = null;
    this.respBody = null;
    this.dispatching = -1;
    this.startMs = vm?.proc.clock.now() ?? 0;
    this.fullInfo = null;
  }

  declare private fullInfo: StreamInfo | null;

  /** The stream's info with its connection id, built when first read (properties), not per stream. */
  get info(): StreamInfo {
    return (this.fullInfo ??= { connectionId: this.connectionId, ...this.given });
  }

  /** A direction's state to change (made on first use). */
  protected get req(): Direction {
    return (this.reqDir ??= dir());
  }
  protected get resp(): Direction {
    return (this.respDir ??= dir());
  }
  /** A direction's state to read: OPEN until it was made. */
  protected peek(d: 0 | 1): Readonly<Direction> {
    return (d === 0 ? this.reqDir : this.respDir) ?? OPEN;
  }

  get requestTrailers(): HeaderMap {
    return (this.reqTrailers ??= new HeaderMap());
  }
  set requestTrailers(m: HeaderMap) {
    this.reqTrailers = m;
  }
  get responseTrailers(): HeaderMap {
    return (this.respTrailers ??= new HeaderMap());
  }
  set responseTrailers(m: HeaderMap) {
    this.respTrailers = m;
  }
  /** Host calls made by each callback (countHostCalls only). */
  get hostCalls(): Record<string, number> {
    return (this.calls ??= {});
  }
  /** Filter state written by proxy_set_property ("wasm.<path>"). */
  get filterState(): Map<string, Uint8Array> {
    return (this.state ??= new Map());
  }

  protected failed(): boolean {
    return this.ctx === null || this.vm === null || this.vm.failed;
  }

  /** ContextBase::onCreate: on_context_create(id, root id) once, unless the VM failed. */
  protected onCreate(): void {
    const { vm, ctx } = this;
    if (vm === null || ctx === null || ctx.inVmCreated) return;
    if (!vm.failed && vm.exports.proxy_on_context_create) {
      vm.call2(ctx, 'proxy_on_context_create', vm.exports.proxy_on_context_create, ctx.id, ctx.parentId);
      vm.afterCall();
    }
    ctx.inVmCreated = true;
  }

  /** CHECK_FAIL_HTTP: fail open → Continue; fail closed → one 503 local reply, then stop. */
  private checkFail(stop: number): number {
    if (this.mode === 'fail_closed' || !this.failOpen) {
      if (!this.streamFailed) {
        this.failStream();
        this.streamFailed = true;
      }
      return stop;
    }
    return 0;
  }

  private count(name: string, before: number): void {
    this.hostCalls[name] = (this.hostCalls[name] ?? 0) + this.vm!.hostCallsTotal - before;
  }

  // A stream closed while a host action ran (e.g. a local reply, then close_stream, both queued in
  // one callback) is gone: Envoy never calls into a deleted context, so the run* steps stop here.
  protected runHeaders(d: 0 | 1, endOfStream: boolean): number {
    if (this.finished) return 4;
    if (this.failed()) return this.checkFail(4);
    const vm = this.vm!;
    const ctx = this.ctx!;
    const name = d === 0 ? 'proxy_on_request_headers' : 'proxy_on_response_headers';
    const f = d === 0 ? vm.exports.proxy_on_request_headers : vm.exports.proxy_on_response_headers;
    if (f === undefined) return 0;
    const before = vm.hostCallsTotal;
    const map = d === 0 ? this.requestHeaders : this.responseHeaders;
    const raw = vm.call3(ctx, name, f, ctx.id, map.size, endOfStream ? 1 : 0) >>> 0;
    if (vm.proc.countHostCalls) this.count(name, before);
    let st: number;
    if (vm.failed) st = this.checkFail(4);
    else if (vm.stopIteration || raw > 4) st = 4;
    else if (raw === 1 && !this.allowHeadersStop)
      st = 4; // 0.2.x: StopIteration means stop all
    else st = raw;
    vm.afterCall();
    return st;
  }

  protected runBody(d: 0 | 1, chunk: Uint8Array, endOfStream: boolean): number {
    if (this.finished) return 3;
    const side = d === 0 ? this.req : this.resp;
    const data = side.buffering ? concatBytes(side.held, chunk) : chunk;
    if (this.failed()) return this.checkFail(3);
    const vm = this.vm!;
    const ctx = this.ctx!;
    const name = d === 0 ? 'proxy_on_request_body' : 'proxy_on_response_body';
    const f = d === 0 ? vm.exports.proxy_on_request_body : vm.exports.proxy_on_response_body;
    if (d === 0) this.reqBody = data;
    else this.respBody = data;
    this.eos = endOfStream;
    let st = 0;
    if (f !== undefined) {
      const before = vm.hostCallsTotal;
      const raw = vm.call3(ctx, name, f, ctx.id, data.length, endOfStream ? 1 : 0) >>> 0;
      if (vm.proc.countHostCalls) this.count(name, before);
      st = vm.failed ? this.checkFail(3) : vm.stopIteration || raw > 3 ? 3 : raw;
      vm.afterCall();
    }
    const seen = (d === 0 ? this.reqBody : this.respBody) ?? data; // set_buffer_bytes may replace it
    side.buffering = st === 1;
    if (st === 0) {
      side.held = EMPTY;
      side.state = 'open';
      this.forward(d, seen);
      if (d === 0) this.reqBody = null;
      else this.respBody = null;
    } else {
      side.held = st === 3 ? EMPTY : seen;
      side.state = 'body_paused';
    }
    return st;
  }

  protected runTrailers(d: 0 | 1): number {
    if (this.finished) return 1;
    if (this.failed()) return this.checkFail(1);
    const vm = this.vm!;
    const ctx = this.ctx!;
    const name = d === 0 ? 'proxy_on_request_trailers' : 'proxy_on_response_trailers';
    const f = d === 0 ? vm.exports.proxy_on_request_trailers : vm.exports.proxy_on_response_trailers;
    const side = d === 0 ? this.req : this.resp;
    if (d === 0) this.reqTrailersAvail = true;
    else this.respTrailersAvail = true;
    let st = 0;
    if (f !== undefined) {
      const before = vm.hostCallsTotal;
      const map = d === 0 ? this.requestTrailers : this.responseTrailers;
      const raw = vm.call2(ctx, name, f, ctx.id, map.size) >>> 0;
      if (vm.proc.countHostCalls) this.count(name, before);
      st = vm.failed ? this.checkFail(1) : vm.stopIteration || raw > 1 ? 1 : raw;
      vm.afterCall();
    }
    if (st === 0) {
      if (d === 0) this.reqTrailersAvail = false;
      else this.respTrailersAvail = false;
      this.forward(d, side.held);
      side.held = EMPTY;
      side.trailersForwarded = true;
    } else side.state = 'trailers_paused';
    return st;
  }

  /** After a headers callback: forward, or stop (and maybe resume at once if continue was asked). */
  protected afterHeaders(d: 0 | 1, proceed: boolean): FilterResult {
    if (proceed) {
      const side = d === 0 ? this.reqDir : this.respDir;
      if (side !== null) side.state = 'open';
      if (d === 0) this.requestContinued = true;
      else this.responseContinued = true;
    } else (d === 0 ? this.req : this.resp).state = 'headers_paused';
    return this.finishDispatch(d);
  }

  protected finishDispatch(d: 0 | 1): FilterResult {
    this.dispatching = -1;
    if (d === 0 ? this.continueRequest : this.continueResponse) {
      if (d === 0) this.continueRequest = false;
      else this.continueResponse = false;
      this.resume(d);
    }
    return this.result(d);
  }

  protected result(d: 0 | 1): FilterResult {
    if (this.reply !== undefined) return 'local_reply';
    return this.peek(d).state === 'open' ? 'continue' : 'pause';
  }

  protected passThrough(d: 0 | 1): FilterResult {
    if (d === 0) this.requestContinued = true;
    else this.responseContinued = true;
    return 'continue';
  }

  protected forward(d: 0 | 1, data: Uint8Array): void {
    if (data.length === 0) return;
    if (d === 0) this.requestBody = concatBytes(this.requestBody, data);
    else this.responseBody = concatBytes(this.responseBody, data);
  }

  /** continueDecoding / continueEncoding: let stopped data through, deliver what waited. */
  protected resume(d: 0 | 1): void {
    if (this.finished || this.peek(d).state === 'open') return;
    const side = d === 0 ? this.req : this.resp;
    const prev = side.state;
    side.state = 'open';
    if (prev === 'headers_paused') {
      if (d === 0) this.requestContinued = true;
      else this.responseContinued = true;
      const body = side.pendingBody;
      side.pendingBody = EMPTY;
      if (body.length > 0 || side.pendingEos) this.runBody(d, body, side.pendingEos);
      if (side.pendingTrailers && side.state === 'open') {
        side.pendingTrailers = false;
        this.runTrailers(d);
      }
    } else if (prev === 'body_paused') {
      this.forward(d, side.held);
      side.held = EMPTY;
      side.buffering = false;
    } else if (prev === 'trailers_paused') {
      this.forward(d, side.held);
      side.held = EMPTY;
      side.trailersForwarded = true;
    }
  }

  /** Context::failStream (implemented with the local-reply machinery). */
  protected abstract failStream(): void;
}

export const concatBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
