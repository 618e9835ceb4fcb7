// Typed wrappers over the proxy-wasm host calls (see imports/env.ts). Values the host returns
// are copied by the host into the scratch arena (memory.ts); the wrappers leave their location in
// `returned.ptr`/`returned.len` (valid until the outermost callback returns) instead of building
// objects, so the request path allocates nothing.
import * as env from './imports/env';
import { HeaderMapType, LogLevel, WasmResult } from './types';

const slots: usize = memory.data(32, 8);
const RET_PTR: usize = slots;
const RET_LEN: usize = slots + 4;
const RET_U32: usize = slots + 12;
const RET_U64: usize = slots + 16;

/** Where the last host call put its result (unmanaged: read on every request, no GC frame). */
@unmanaged
export class Returned {
  ptr: usize = 0;
  len: usize = 0;
  cas: u32 = 0;
}
export const returned = new Returned();

function takeReturned(result: u32): u32 {
  if (result == WasmResult.Ok) {
    returned.ptr = <usize>load<u32>(RET_PTR);
    returned.len = <usize>load<u32>(RET_LEN);
  } else {
    returned.ptr = 0;
    returned.len = 0;
  }
  return result;
}

// Logging ------------------------------------------------------------------------------------

let cachedLogLevel: u32 = LogLevel.Info;

/** Reads Envoy's current `wasm` log level (cheap to call on tick; cached for the hot path). */
export function refreshLogLevel(): u32 {
  if (env.proxy_get_log_level(RET_U32) == WasmResult.Ok) cachedLogLevel = load<u32>(RET_U32);
  return cachedLogLevel;
}

/** True when a message at `level` would be emitted: check before building one. */
export function logEnabled(level: u32): bool {
  return level >= cachedLogLevel;
}

export function logBytes(level: u32, ptr: usize, len: usize): void {
  if (level >= cachedLogLevel) env.proxy_log(level, ptr, len);
}

/** Logs a string (allocates its UTF-8 copy: keep off the request path unless enabled). */
export function log(level: u32, message: string): void {
  if (level < cachedLogLevel) return;
  const utf8 = String.UTF8.encode(message);
  env.proxy_log(level, changetype<usize>(utf8), <usize>utf8.byteLength);
}

// Time and ticks -----------------------------------------------------------------------------

/** Wall clock, Unix epoch milliseconds (rounded to the nearest). */
export function nowMs(): u64 {
  env.proxy_get_current_time_nanoseconds(RET_U64);
  return (load<u64>(RET_U64) + 500_000) / 1_000_000;
}

export function setTickPeriod(ms: u32): void {
  env.proxy_set_tick_period_milliseconds(ms);
}

// Buffers and properties ---------------------------------------------------------------------

export function getBufferBytes(bufferType: u32, start: usize, maxSize: usize): u32 {
  return takeReturned(env.proxy_get_buffer_bytes(bufferType, start, maxSize, RET_PTR, RET_LEN));
}

/** `path` is the property path, segments separated by NUL (serde.ts encodes it). */
export function getProperty(pathPtr: usize, pathLen: usize): u32 {
  return takeReturned(env.proxy_get_property(pathPtr, pathLen, RET_PTR, RET_LEN));
}

// Header maps --------------------------------------------------------------------------------

export function getHeader(mapType: u32, keyPtr: usize, keyLen: usize): u32 {
  return takeReturned(env.proxy_get_header_map_value(mapType, keyPtr, keyLen, RET_PTR, RET_LEN));
}

/** Sets a header, replacing every value the client may have sent (add would append). */
export function replaceHeader(
  mapType: u32,
  keyPtr: usize,
  keyLen: usize,
  valuePtr: usize,
  valueLen: usize,
): u32 {
  return env.proxy_replace_header_map_value(mapType, keyPtr, keyLen, valuePtr, valueLen);
}

export function removeHeader(mapType: u32, keyPtr: usize, keyLen: usize): u32 {
  return env.proxy_remove_header_map_value(mapType, keyPtr, keyLen);
}

export function replaceRequestHeader(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): u32 {
  return replaceHeader(HeaderMapType.RequestHeaders, keyPtr, keyLen, valuePtr, valueLen);
}

// Stream control -----------------------------------------------------------------------------

export function continueStream(streamType: u32): u32 {
  return env.proxy_continue_stream(streamType);
}

export function sendLocalResponse(
  status: u32,
  detailsPtr: usize,
  detailsLen: usize,
  bodyPtr: usize,
  bodyLen: usize,
  headersPtr: usize,
  headersLen: usize,
): u32 {
  return env.proxy_send_local_response(
    status,
    detailsPtr,
    detailsLen,
    bodyPtr,
    bodyLen,
    headersPtr,
    headersLen,
    -1,
  );
}

/** Makes later host calls act on another context of this VM (a paused stream, from a tick). */
export function setEffectiveContext(contextId: u32): u32 {
  return env.proxy_set_effective_context(contextId);
}
