// One HTTP stream through the Wasm filter, with Envoy's filter semantics (envoy common/wasm/context.cc
// decodeHeaders/decodeData/decodeTrailers/encode*/log/onDestroy, cpp-host src/context.cc
// onRequestHeaders… and convertVmCallResultTo*Status, filters/http/wasm/wasm_filter.h createFilter):
// - on_context_create runs lazily at the first request headers;
// - StopIteration from on_*_headers is StopAllIterationAndWatermark: body and trailers wait, and are
//   delivered to the filter when it resumes;
// - proxy_continue_stream and proxy_send_local_response act after the callback returns, and a local
//   reply makes the current callback's result a stop;
// - Envoy forgets a header map once the callback returned Continue (later reads: BAD_ARGUMENT);
// - a failed VM gives Continue (fail_open) or a 503 "wasm_fail_stream" local reply (fail closed);
// - the end is on_log (access-log phase), then on_done, then on_delete.

import { FilterResult } from './abi';
import * as abi from './abi';
import type { Context, HostBuffer, StreamHooks } from './context';
import type { HeaderMap, HeadersInit } from './header-map';
import * as headerMap from './header-map';
import type { LocalReply } from './local-reply';
import * as memory from './memory';
import type { Pairs } from './pairs';
import * as rootCallbacks from './root-callbacks';
import { StreamFilterCore } from './stream-filter-core';
import * as core from './stream-filter-core';
import type { StreamInfo } from './stream-properties';
import type { WasmVm } from './vm';
const { concatBytes } = core; // read once: tsx module exports are getters
const { toBytes } = memory; // read once: tsx module exports are getters
const { HeaderMap: HeaderMapClass } = headerMap; // read once: tsx module exports are getters
const { onDelete, onDone, onLog } = rootCallbacks; // read once: tsx module exports are getters
const { DATA_STATUS, HEADERS_STATUS, TRAILERS_STATUS } = abi; // read once: tsx module exports are getters
// Local copies: module exports are getters under tsx, too slow on the per-call path.

export type StreamMode = 'filter' | 'fail_open' | 'fail_closed';

export class HttpStream extends StreamFilterCore implements StreamHooks {
  constructor(
    vm: WasmVm | null,
    ctx: Context | null,
    mode: StreamMode,
    info: StreamInfo,
    connectionId: number,
    options: { allowHeadersStop: boolean; failOpen: boolean },
  ) {
    super(vm, ctx, mode, info, connectionId, options.allowHeadersStop, options.failOpen);
    this.contextId = ctx?.id ?? 0;
  }

  /** Context id in the VM (0 when the filter is not in the chain: fail open / fail closed). */
  declare readonly contextId: number; // kept: the Context object is reused once the stream is deleted

  /** Posted tasks (queue notifications, deferred work) run when a driver call returns. */
  private drained(r: FilterResult): FilterResult {
    this.vm?.proc.afterDriverCall();
    return r;
  }

  get localReply(): LocalReply | undefined {
    return this.reply;
  }

  // ---- driver: request path (decoder) ----

  sendRequestHeaders(headers: HeadersInit | HeaderMap, endOfStream = false): FilterResult {
    if (this.reply !== undefined || this.finished) return this.result(0);
    this.requestHeaders = HeaderMapClass.from(headers);
    if (this.mode === 'fail_open') return this.passThrough(0);
    this.onCreate();
    this.reqHeadersAvail = true;
    this.eos = endOfStream;
    this.dispatching = 0;
    const st = this.runHeaders(0, endOfStream);
    this.lastStatus = HEADERS_STATUS[st];
    if (st === 0) this.reqHeadersAvail = false;
    return this.drained(this.afterHeaders(0, st === 0 || st === 2));
  }

  sendRequestBody(body: string | Uint8Array, endOfStream = true): FilterResult {
    return this.body(0, toBytes(body), endOfStream);
  }

  sendRequestTrailers(trailers: HeadersInit | HeaderMap): FilterResult {
    return this.trailers(0, HeaderMapClass.from(trailers));
  }

  // ---- driver: response path (encoder) ----

  sendResponseHeaders(headers: HeadersInit | HeaderMap, endOfStream = false): FilterResult {
    if (this.reply !== undefined || this.finished) return this.result(1);
    this.respStarted = true;
    this.responseHeaders = HeaderMapClass.from(headers);
    return this.encodeHeaders(endOfStream);
  }

  sendResponseBody(body: string | Uint8Array, endOfStream = true): FilterResult {
    return this.body(1, toBytes(body), endOfStream);
  }

  sendResponseTrailers(trailers: HeadersInit | HeaderMap): FilterResult {
    return this.trailers(1, HeaderMapClass.from(trailers));
  }

  /** Stream complete: Context::log (on_log in the access-log phase), then onDestroy. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { vm, ctx } = this;
    if (vm !== null && ctx !== null) {
      if (!ctx.inVmCreated) this.onCreate();
      this.accessLogPhase = true;
      onLog(vm, ctx);
      this.accessLogPhase = false;
      if (!ctx.destroyed && ctx.inVmCreated) {
        ctx.destroyed = true;
        onDone(vm, ctx);
        onDelete(vm, ctx);
      } else vm.deleteContext(ctx);
      vm.proc.afterDriverCall();
    }
  }

  /** Downstream reset: the filter is torn down the same way (log, then destroy). */
  reset(): void {
    if (this.finished) return;
    this.resetReason ??= 'downstream_reset';
    this.finish();
  }

  // ---- internals shared by both directions ----

  private encodeHeaders(endOfStream: boolean): FilterResult {
    const ctx = this.ctx;
    if (this.mode === 'fail_open' || ctx === null || !ctx.inVmCreated || this.failureReplySent)
      return this.passThrough(1);
    this.respHeadersAvail = true;
    this.eos = endOfStream;
    this.dispatching = 1;
    const st = this.runHeaders(1, endOfStream);
    this.lastStatus = HEADERS_STATUS[st];
    if (st === 0) this.respHeadersAvail = false;
    return this.drained(this.afterHeaders(1, st === 0 || st === 2));
  }

  private body(d: 0 | 1, data: Uint8Array, endOfStream: boolean): FilterResult {
    if (this.finished || this.reply !== undefined) return this.result(d);
    const dir = d === 0 ? this.req : this.resp;
    if (this.mode === 'fail_open' || this.ctx === null || !this.ctx.inVmCreated) {
      this.forward(d, data);
      return this.result(d);
    }
    if (dir.state === 'headers_paused' || dir.state === 'trailers_paused') {
      dir.pendingBody = concatBytes(dir.pendingBody, data);
      dir.pendingEos = endOfStream;
      return this.result(d);
    }
    this.dispatching = d;
    const st = this.runBody(d, data, endOfStream);
    this.lastStatus = DATA_STATUS[st];
    return this.drained(this.finishDispatch(d));
  }

  private trailers(d: 0 | 1, map: HeaderMap): FilterResult {
    if (this.finished || this.reply !== undefined) return this.result(d);
    const dir = d === 0 ? this.req : this.resp;
    if (d === 0) this.requestTrailers = map;
    else this.responseTrailers = map;
    if (this.mode === 'fail_open' || this.ctx === null || !this.ctx.inVmCreated) {
      dir.trailersForwarded = true;
      return this.result(d);
    }
    if (dir.state === 'headers_paused') {
      dir.pendingTrailers = true;
      return this.result(d);
    }
    this.dispatching = d;
    const st = this.runTrailers(d);
    this.lastStatus = TRAILERS_STATUS[st];
    return this.drained(this.finishDispatch(d));
  }

  // ---- StreamHooks used by host calls ----

  getBuffer(type: number): HostBuffer | null {
    return this.bodyBuffer(type === 0 ? 0 : 1);
  }

  sendLocalResponse(
    code: number,
    body: Uint8Array,
    headers: Pairs,
    grpcStatus: number,
    details: string,
  ): number {
    this.vm!.addAfterCall(() => this.localReplyFromFilter(code, body, headers, grpcStatus, details));
    return 0;
  }
}
