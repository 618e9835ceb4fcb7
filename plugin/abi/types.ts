// Proxy-Wasm ABI v0.2.1 enumerations (proxy-wasm/spec abi-versions/v0.2.1, cpp-host
// include/proxy-wasm/wasm_api_impl.h). Host status codes are returned as-is and compared against
// WasmResult; callers turn them into domain outcomes.

export const enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  ResultMismatch = 9,
  InternalFailure = 10,
  BrokenConnection = 11,
  Unimplemented = 12,
}

export const enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

export const enum HeaderMapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4,
  GrpcReceiveTrailingMetadata = 5,
}

export const enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  GrpcReceiveBuffer = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
}

export const enum StreamType {
  Request = 0,
  Response = 1,
}

export const enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** Return values of the HTTP header callbacks (Envoy FilterHeadersStatus). */
export const enum FilterHeadersStatus {
  Continue = 0,
  // cpp-host turns StopIteration into StopAllIterationAndWatermark for ABI 0.2.x: nothing more
  // of the request reaches the filter chain until proxy_continue_stream.
  StopIteration = 1,
}

export const enum FilterDataStatus {
  Continue = 0,
  StopIterationAndBuffer = 1,
}

/** gRPC status codes the filter reports or reacts to. */
export const enum GrpcStatus {
  Ok = 0,
  InvalidArgument = 3,
  Unauthenticated = 16,
}
