// The boolean state of an HTTP stream, kept as bits of one number. A stream object is built per
// request, and each boolean field was 8 more bytes to allocate and initialize (14 of them: 104 B of
// the ~690 B of garbage an admitted request left); V8 inlines these accessors in optimized code
// (each setter writes its bit itself: a shared helper was left as a call).
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

  /** Request headers went upstream (the filter continued). */
  get requestContinued(): boolean {
    return (this.flags & REQUEST_CONTINUED) !== 0;
  }
  set requestContinued(on: boolean) {
    this.flags = on ? this.flags | REQUEST_CONTINUED : this.flags & ~REQUEST_CONTINUED;
  }

  /** Response headers went downstream. */
  get responseContinued(): boolean {
    return (this.flags & RESPONSE_CONTINUED) !== 0;
  }
  set responseContinued(on: boolean) {
    this.flags = on ? this.flags | RESPONSE_CONTINUED : this.flags & ~RESPONSE_CONTINUED;
  }

  get finished(): boolean {
    return (this.flags & FINISHED) !== 0;
  }
  set finished(on: boolean) {
    this.flags = on ? this.flags | FINISHED : this.flags & ~FINISHED;
  }

  /** In proxy_on_log: maps that are gone read as NOT_FOUND instead of BAD_ARGUMENT. */
  get accessLogPhase(): boolean {
    return (this.flags & ACCESS_LOG_PHASE) !== 0;
  }
  set accessLogPhase(on: boolean) {
    this.flags = on ? this.flags | ACCESS_LOG_PHASE : this.flags & ~ACCESS_LOG_PHASE;
  }

  protected get reqHeadersAvail(): boolean {
    return (this.flags & REQ_HEADERS_AVAIL) !== 0;
  }
  protected set reqHeadersAvail(on: boolean) {
    this.flags = on ? this.flags | REQ_HEADERS_AVAIL : this.flags & ~REQ_HEADERS_AVAIL;
  }

  protected get respHeadersAvail(): boolean {
    return (this.flags & RESP_HEADERS_AVAIL) !== 0;
  }
  protected set respHeadersAvail(on: boolean) {
    this.flags = on ? this.flags | RESP_HEADERS_AVAIL : this.flags & ~RESP_HEADERS_AVAIL;
  }

  protected get reqTrailersAvail(): boolean {
    return (this.flags & REQ_TRAILERS_AVAIL) !== 0;
  }
  protected set reqTrailersAvail(on: boolean) {
    this.flags = on ? this.flags | REQ_TRAILERS_AVAIL : this.flags & ~REQ_TRAILERS_AVAIL;
  }

  protected get respTrailersAvail(): boolean {
    return (this.flags & RESP_TRAILERS_AVAIL) !== 0;
  }
  protected set respTrailersAvail(on: boolean) {
    this.flags = on ? this.flags | RESP_TRAILERS_AVAIL : this.flags & ~RESP_TRAILERS_AVAIL;
  }

  protected get eos(): boolean {
    return (this.flags & EOS) !== 0;
  }
  protected set eos(on: boolean) {
    this.flags = on ? this.flags | EOS : this.flags & ~EOS;
  }

  protected get respStarted(): boolean {
    return (this.flags & RESP_STARTED) !== 0;
  }
  protected set respStarted(on: boolean) {
    this.flags = on ? this.flags | RESP_STARTED : this.flags & ~RESP_STARTED;
  }

  protected get failureReplySent(): boolean {
    return (this.flags & FAILURE_REPLY_SENT) !== 0;
  }
  protected set failureReplySent(on: boolean) {
    this.flags = on ? this.flags | FAILURE_REPLY_SENT : this.flags & ~FAILURE_REPLY_SENT;
  }

  protected get streamFailed(): boolean {
    return (this.flags & STREAM_FAILED) !== 0;
  }
  protected set streamFailed(on: boolean) {
    this.flags = on ? this.flags | STREAM_FAILED : this.flags & ~STREAM_FAILED;
  }

  protected get continueRequest(): boolean {
    return (this.flags & CONTINUE_REQUEST) !== 0;
  }
  protected set continueRequest(on: boolean) {
    this.flags = on ? this.flags | CONTINUE_REQUEST : this.flags & ~CONTINUE_REQUEST;
  }

  protected get continueResponse(): boolean {
    return (this.flags & CONTINUE_RESPONSE) !== 0;
  }
  protected set continueResponse(on: boolean) {
    this.flags = on ? this.flags | CONTINUE_RESPONSE : this.flags & ~CONTINUE_RESPONSE;
  }
}
