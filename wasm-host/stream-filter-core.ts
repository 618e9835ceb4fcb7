// What host calls need from an HTTP stream (StreamHooks: header maps, body buffers, continue and
// close, local replies, properties), with Envoy's rules (envoy common/wasm/context.cc getMap,
// getConstMap, getBuffer, continueStream, closeStream, sendLocalResponse, failStream;
// common/http/filter_manager.cc sendLocalReply: via the filter chain, directly, or a reset).

import {
  HeaderMapType as HeaderMapTypeValues,
  StreamType as StreamTypeValues,
  WasmResult as WasmResultValues,
} from './abi';
import type { HostBuffer } from './context';
import type { HeaderMap } from './header-map';
import { buildLocalReply } from './local-reply';
import type { Pairs } from './pairs';
import { streamProperty } from './stream-properties';
import { concatBytes, EMPTY, StreamState } from './stream-state';
// Local copies: module exports are getters under tsx, too slow on the per-call path.
const HeaderMapType = HeaderMapTypeValues;
const StreamType = StreamTypeValues;
const WasmResult = WasmResultValues;

export abstract class StreamFilterCore extends StreamState {
  // ---- StreamHooks (called from host functions while the module runs) ----

  continueStream(type: number): number {
    if (type === StreamType.Request || type === StreamType.Response) {
      const d = type === StreamType.Request ? 0 : 1;
      this.vm!.addAfterCall(() => {
        if (this.dispatching !== d) this.resume(d);
        else if (d === 0) this.continueRequest = true;
        else this.continueResponse = true;
      });
      // Envoy drops its request pointers right away (context.cc continueStream).
      this.reqHeadersAvail = false;
      this.reqBody = null;
      this.reqTrailersAvail = false;
      return WasmResult.Ok;
    }
    return type === StreamType.Upstream ? WasmResult.Unimplemented : WasmResult.Ok;
  }

  closeStream(type: number): number {
    if (type === StreamType.Request || type === StreamType.Response) {
      this.vm!.addAfterCall(() => {
        this.resetReason ??= 'wasm_close_stream';
        (this as unknown as { finish(): void }).finish();
      });
    }
    return WasmResult.Ok;
  }

  clearRouteCache(): void {
    this.routeCacheCleared++;
  }

  headersModified(): void {}

  endOfStream(): boolean {
    return this.eos;
  }

  setProperty(path: string, value: Uint8Array): number {
    this.filterState.set('wasm.' + path, value);
    return WasmResult.Ok;
  }

  getProperty(parts: string[]): Uint8Array | undefined | null {
    return streamProperty(
      {
        info: this.info,
        startNs: BigInt(Math.round(this.startMs * 1e6)),
        filterState: this.filterState,
        requestMap: () => (this.reqHeadersAvail || this.accessLogPhase ? this.requestHeaders : null),
        responseMap: () => (this.respHeadersAvail || this.accessLogPhase ? this.responseHeaders : null),
        responseTrailersMap: () =>
          this.respTrailersAvail || this.accessLogPhase ? this.responseTrailers : null,
        responseCode: () =>
          this.respStarted || this.reply ? Number(this.responseHeaders.getRaw(':status')) : undefined,
        responseCodeDetails: () => this.reply?.details ?? (this.respStarted ? 'via_upstream' : undefined),
      },
      parts,
    );
  }

  /** Context::getMap (mutable) / getConstMap; null = not available now. */
  getMap(type: number, mutable: boolean): HeaderMap | null {
    if (this.accessLogPhase && !mutable) {
      if (type === HeaderMapType.RequestHeaders) return this.requestHeaders;
      if (type === HeaderMapType.ResponseHeaders)
        return this.respStarted || this.reply ? this.responseHeaders : null;
      if (type === HeaderMapType.ResponseTrailers)
        return this.peek(1).trailersForwarded ? this.responseTrailers : null;
      return null;
    }
    switch (type) {
      case HeaderMapType.RequestHeaders:
        return this.reqHeadersAvail ? this.requestHeaders : null;
      case HeaderMapType.ResponseHeaders:
        return this.respHeadersAvail ? this.responseHeaders : null;
      case HeaderMapType.RequestTrailers:
        if (mutable && !this.reqTrailersAvail && this.reqBody !== null && this.eos)
          this.reqTrailersAvail = true; // addDecodedTrailers
        return this.reqTrailersAvail ? this.requestTrailers : null;
      case HeaderMapType.ResponseTrailers:
        if (mutable && !this.respTrailersAvail && this.respBody !== null && this.eos)
          this.respTrailersAvail = true;
        return this.respTrailersAvail ? this.responseTrailers : null;
      default:
        return null;
    }
  }

  /** The HTTP body buffer as Envoy exposes it: the current chunk (or everything buffered), mutable. */
  protected bodyBuffer(d: 0 | 1): HostBuffer {
    const data = d === 0 ? this.reqBody : this.respBody;
    if (data === null) return { bytes: EMPTY };
    const set = (start: number, length: number, bytes: Uint8Array): number => {
      const cur = (d === 0 ? this.reqBody : this.respBody) ?? EMPTY;
      let next: Uint8Array;
      if (start === 0 && length === 0) next = concatBytes(bytes, cur);
      else if (start === 0 && length >= cur.length) next = bytes;
      else if (start >= cur.length) next = concatBytes(cur, bytes);
      else return WasmResult.BadArgument;
      if (d === 0) this.reqBody = next;
      else this.respBody = next;
      return WasmResult.Ok;
    };
    return { bytes: data, set };
  }

  /** The deferred sendLocalReply: via this filter, directly, or as a reset (FilterManager rules). */
  protected localReplyFromFilter(
    code: number,
    body: Uint8Array,
    headers: Pairs,
    grpc: number,
    details: string,
  ): void {
    if (this.finished || this.reply !== undefined) return;
    if (this.responseContinued) {
      this.resetReason = 'local_reply_after_response_started';
      (this as unknown as { finish(): void }).finish();
      return;
    }
    const isGrpc = (this.requestHeaders.getRaw('content-type') ?? '').startsWith('application/grpc');
    const isHead = this.requestHeaders.getRaw(':method') === 'HEAD';
    const built = buildLocalReply(code, body, headers, grpc, details, { isGrpc, isHead });
    this.reply = built.reply;
    if (this.peek(0).state !== 'open') this.req.state = 'open';
    const viaFilterChain = !this.respStarted;
    this.respStarted = true;
    this.responseHeaders = built.headers;
    if (!viaFilterChain || this.failureReplySent) {
      this.responseContinued = true;
      this.forward(1, built.body);
      return;
    }
    const endOfStream = built.body.length === 0;
    this.respHeadersAvail = true;
    this.eos = endOfStream;
    const st = this.runHeaders(1, endOfStream);
    if (st === 0) this.respHeadersAvail = false;
    this.afterHeaders(1, st === 0 || st === 2);
    if (built.body.length > 0) {
      if (this.peek(1).state === 'headers_paused') {
        this.resp.pendingBody = built.body;
        this.resp.pendingEos = true;
      } else this.runBody(1, built.body, true);
    }
  }

  /** Context::failStream: one 503 local reply, not seen by the failed VM. */
  protected failStream(): void {
    if (this.failureReplySent) return;
    this.failureReplySent = true;
    this.localReplyFromFilter(503, EMPTY, { keys: [], values: [] }, 14, 'wasm_fail_stream');
  }
}

export { concatBytes };
