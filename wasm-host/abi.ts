// Proxy-Wasm ABI v0.2.1 constants (proxy-wasm/spec abi-versions/v0.2.1 "Types") and the Envoy
// filter statuses the host maps callback results to (proxy-wasm-cpp-host src/context.cc).

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const HeaderMapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
  MAX: 7,
} as const;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  NetworkDownstreamData: 2,
  NetworkUpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
  MAX: 8,
} as const;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3, MAX: 3 } as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2, MAX: 2 } as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5, off: 6 } as const;

/** Envoy's Http::FilterHeadersStatus names, indexed by value. */
export const HEADERS_STATUS = [
  'Continue',
  'StopIteration',
  'ContinueAndEndStream',
  'StopAllIterationAndBuffer',
  'StopAllIterationAndWatermark',
] as const;

/** Envoy's Http::FilterDataStatus names, indexed by value. */
export const DATA_STATUS = [
  'Continue',
  'StopIterationAndBuffer',
  'StopIterationAndWatermark',
  'StopIterationNoBuffer',
] as const;

/** Envoy's Http::FilterTrailersStatus names, indexed by value. */
export const TRAILERS_STATUS = ['Continue', 'StopIteration'] as const;

/** What the driver sees after each stream callback. */
export type FilterResult = 'continue' | 'pause' | 'local_reply';

// WASI errno values used by cpp-host src/exports.cc.
export const Errno = {
  Success: 0,
  Badf: 8,
  Fault: 21,
  Inval: 28,
  Noent: 44,
  Nosys: 52,
  Notdir: 20,
  Notsup: 58,
  Notcapable: 76,
} as const;

// Callout ids interleave by type in the low two bits (cpp-host include/proxy-wasm/wasm.h).
export const CalloutType = { HttpCall: 0, GrpcCall: 1, GrpcStream: 2 } as const;

// Envoy's limits: 1 GiB of Wasm memory (cpp-host limits.h, v8.cc --wasm_max_mem_pages), pairs caps.
export const MAX_WASM_MEMORY_BYTES = 1024 * 1024 * 1024;
export const PAIRS_MAX_BYTES = 1024 * 1024;
export const PAIRS_MAX_COUNT = 1024;
export const RANDOM_GET_MAX_BYTES = 64 * 1024;
