// The filter-manager side of an HTTP stream: per-direction iteration state (running, stopped at
// headers/body/trailers, resumed) and the calls into the VM with Envoy's CHECK_FAIL and status
// conversion. stream-filter-core.ts adds what host calls need; http-stream.ts the driver API.

import type { FilterResult } from './abi';
import type { Context } from './context';
import { HeaderMap } from './header-map';
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
  ended: boolean;
  trailersForwarded: boolean;
}

export const EMPTY = new Uint8Array(0);
/** Placeholder until the driver sends headers (never written: every send installs a fresh map). */
const EMPTY_MAP = new HeaderMap();
Object.freeze(EMPTY_MAP.keys);
Object.freeze(EMPTY_MAP.values);
const dir = (): Direction => ({
  state: 'open',
  pendingBody: EMPTY,
  pendingEos: false,
  pendingTrailers: false,
  held: EMPTY,
  buffering: false,
  ended: false,
  trailersForwarded: false,
});

export abstract class StreamState {
  requestHeaders: HeaderMap = EMPTY_MAP;
  responseHeaders: HeaderMap = EMPTY_MAP;
  protected reqTrailers: HeaderMap | null = null;
  protected respTrailers: HeaderMap | null = null;
  /** Bytes the filter let through upstream / downstream. */
  requestBody: Uint8Array = EMPTY;
  responseBody: Uint8Array = EMPTY;
  /** Request headers went upstream (the filter continued). */
  requestContinued = false;
  /** Response headers went downstream. */
  responseContinued = false;
  lastStatus = '';
  resetReason: string | undefined;
  finished = false;
  routeCacheCleared = 0;
  private calls: Record<string, number> | null = null;
  protected state: Map<string, Uint8Array> | null = null;
  accessLogPhase = false;
  /** Stream start, epoch ms (request.time). */
  readonly startMs: number;

  protected reply: LocalReply | undefined;
  protected readonly req = dir();
  protected readonly resp = dir();
  protected reqHeadersAvail = false;
  protected respHeadersAvail = false;
  protected reqTrailersAvail = false;
  protected respTrailersAvail = false;
  protected reqBody: Uint8Array | null = null;
  protected respBody: Uint8Array | null = null;
  protected eos = false;
  protected respStarted = false;
  protected failureReplySent = false;
  private streamFailed = false;
  /** Direction whose callback is running (-1: none): continue requests for it wait until it returns. */
  protected dispatching = -1;
  protected continueRequest = false;
  protected continueResponse = false;

  constructor(
    protected readonly vm: WasmVm | null,
    protected readonly ctx: Context | null,
    protected readonly mode: 'filter' | 'fail_open' | 'fail_closed',
    readonly info: StreamInfo,
    private readonly allowHeadersStop: boolean,
    private readonly failOpen: boolean,
  ) {
    this.startMs = vm?.proc.clock.now() ?? 0;
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

  protected runHeaders(d: 0 | 1, endOfStream: boolean): number {
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
    const side = d === 0 ? this.req : this.resp;
    if (proceed) {
      side.state = 'open';
      if (d === 0) this.requestContinued = true;
      else this.responseContinued = true;
    } else side.state = 'headers_paused';
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
    const side = d === 0 ? this.req : this.resp;
    return side.state === 'open' ? 'continue' : 'pause';
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
    if (this.finished) return;
    const side = d === 0 ? this.req : this.resp;
    const prev = side.state;
    if (prev === 'open') return;
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
