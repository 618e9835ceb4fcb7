// The boolean state of an HTTP stream, kept as bits of one number. A stream object is built per
// request, and each boolean field was 8 more bytes to allocate and initialize (14 of them: 104 B of
// the ~690 B of garbage an admitted request left); V8 inlines these accessors in optimized code.
// Each starts false.

const REQUEST_CONTINUED = 1 << 0;
const RESPONSE_CONTINUED = 1 << 1;
const FINISHED = 1 << 2;
const ACCESS_LOG_PHASE = 1 << 3;
const REQ_HEADERS_AVAIL = 1 << 4;
const RESP_HEADERS_AVAIL = 1 << 5;
const REQ_TRAILERS_AVAIL = 1 << 6;
const RESP_TRAILERS_AVAIL = 1 << 7;
const EOS = 1 << 8;
const RESP_STARTED = 1 << 9;
const FAILURE_REPLY_SENT = 1 << 10;
const STREAM_FAILED = 1 << 11;
const CONTINUE_REQUEST = 1 << 12;
const CONTINUE_RESPONSE = 1 << 13;

export abstract class StreamFlags {
  declare private flags: number;

  constructor() {
    this.flags = 0;
  }

  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** Request headers went upstream (the filter continued). */
  get requestContinued(): boolean {
    return (this.flags & REQUEST_CONTINUED) !== 0;
  }
  set requestContinued(on: boolean) {
    this.flag(REQUEST_CONTINUED, on);
  }

  /** Response headers went downstream. */
  get responseContinued(): boolean {
    return (this.flags & RESPONSE_CONTINUED) !== 0;
  }
  set responseContinued(on: boolean) {
    this.flag(RESPONSE_CONTINUED, on);
  }

  get finished(): boolean {
    return (this.flags & FINISHED) !== 0;
  }
  set finished(on: boolean) {
    this.flag(FINISHED, on);
  }

  /** In proxy_on_log: maps that are gone read as NOT_FOUND instead of BAD_ARGUMENT. */
  get accessLogPhase(): boolean {
    return (this.flags & ACCESS_LOG_PHASE) !== 0;
  }
  set accessLogPhase(on: boolean) {
    this.flag(ACCESS_LOG_PHASE, on);
  }

  protected get reqHeadersAvail(): boolean {
    return (this.flags & REQ_HEADERS_AVAIL) !== 0;
  }
  protected set reqHeadersAvail(on: boolean) {
    this.flag(REQ_HEADERS_AVAIL, on);
  }

  protected get respHeadersAvail(): boolean {
    return (this.flags & RESP_HEADERS_AVAIL) !== 0;
  }
  protected set respHeadersAvail(on: boolean) {
    this.flag(RESP_HEADERS_AVAIL, on);
  }

  protected get reqTrailersAvail(): boolean {
    return (this.flags & REQ_TRAILERS_AVAIL) !== 0;
  }
  protected set reqTrailersAvail(on: boolean) {
    this.flag(REQ_TRAILERS_AVAIL, on);
  }

  protected get respTrailersAvail(): boolean {
    return (this.flags & RESP_TRAILERS_AVAIL) !== 0;
  }
  protected set respTrailersAvail(on: boolean) {
    this.flag(RESP_TRAILERS_AVAIL, on);
  }

  protected get eos(): boolean {
    return (this.flags & EOS) !== 0;
  }
  protected set eos(on: boolean) {
    this.flag(EOS, on);
  }

  protected get respStarted(): boolean {
    return (this.flags & RESP_STARTED) !== 0;
  }
  protected set respStarted(on: boolean) {
    this.flag(RESP_STARTED, on);
  }

  protected get failureReplySent(): boolean {
    return (this.flags & FAILURE_REPLY_SENT) !== 0;
  }
  protected set failureReplySent(on: boolean) {
    this.flag(FAILURE_REPLY_SENT, on);
  }

  protected get streamFailed(): boolean {
    return (this.flags & STREAM_FAILED) !== 0;
  }
  protected set streamFailed(on: boolean) {
    this.flag(STREAM_FAILED, on);
  }

  protected get continueRequest(): boolean {
    return (this.flags & CONTINUE_REQUEST) !== 0;
  }
  protected set continueRequest(on: boolean) {
    this.flag(CONTINUE_REQUEST, on);
  }

  protected get continueResponse(): boolean {
    return (this.flags & CONTINUE_RESPONSE) !== 0;
  }
  protected set continueResponse(on: boolean) {
    this.flag(CONTINUE_RESPONSE, on);
  }
}
