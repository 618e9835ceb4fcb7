// Raw proxy-wasm ABI v0.2.1 host functions (module "env"), exactly as proxy-wasm-cpp-host
// src/exports.cc declares them. AssemblyScript names the import module after this file, so no
// decorator is needed. Only functions the filter calls end up imported: Envoy rejects a module
// importing anything it does not provide. Use the typed wrappers in ../hostcalls.ts instead.

// Logging and time
export declare function proxy_log(level: u32, messagePtr: usize, messageSize: usize): u32;
export declare function proxy_get_log_level(levelPtr: usize): u32;
export declare function proxy_get_current_time_nanoseconds(timePtr: usize): u32;
export declare function proxy_set_tick_period_milliseconds(periodMs: u32): u32;

// Buffers, properties, header maps
export declare function proxy_get_buffer_bytes(
  bufferType: u32,
  start: usize,
  maxSize: usize,
  returnPtrPtr: usize,
  returnSizePtr: usize,
): u32;
export declare function proxy_get_property(
  pathPtr: usize,
  pathSize: usize,
  returnPtrPtr: usize,
  returnSizePtr: usize,
): u32;
export declare function proxy_get_header_map_value(
  mapType: u32,
  keyPtr: usize,
  keySize: usize,
  returnPtrPtr: usize,
  returnSizePtr: usize,
): u32;
export declare function proxy_replace_header_map_value(
  mapType: u32,
  keyPtr: usize,
  keySize: usize,
  valuePtr: usize,
  valueSize: usize,
): u32;
export declare function proxy_remove_header_map_value(mapType: u32, keyPtr: usize, keySize: usize): u32;

// Stream control
export declare function proxy_continue_stream(streamType: u32): u32;
export declare function proxy_send_local_response(
  statusCode: u32,
  detailsPtr: usize,
  detailsSize: usize,
  bodyPtr: usize,
  bodySize: usize,
  headersPtr: usize,
  headersSize: usize,
  grpcStatus: i32,
): u32;
export declare function proxy_set_effective_context(contextId: u32): u32;

// Shared data and queues
export declare function proxy_get_shared_data(
  keyPtr: usize,
  keySize: usize,
  returnValuePtrPtr: usize,
  returnValueSizePtr: usize,
  returnCasPtr: usize,
): u32;
export declare function proxy_set_shared_data(
  keyPtr: usize,
  keySize: usize,
  valuePtr: usize,
  valueSize: usize,
  cas: u32,
): u32;
export declare function proxy_register_shared_queue(
  namePtr: usize,
  nameSize: usize,
  returnTokenPtr: usize,
): u32;
export declare function proxy_resolve_shared_queue(
  vmIdPtr: usize,
  vmIdSize: usize,
  namePtr: usize,
  nameSize: usize,
  returnTokenPtr: usize,
): u32;
export declare function proxy_dequeue_shared_queue(
  token: u32,
  returnPtrPtr: usize,
  returnSizePtr: usize,
): u32;
export declare function proxy_enqueue_shared_queue(token: u32, dataPtr: usize, dataSize: usize): u32;

// gRPC
export declare function proxy_grpc_stream(
  servicePtr: usize,
  serviceSize: usize,
  serviceNamePtr: usize,
  serviceNameSize: usize,
  methodPtr: usize,
  methodSize: usize,
  metadataPtr: usize,
  metadataSize: usize,
  returnTokenPtr: usize,
): u32;
export declare function proxy_grpc_send(
  token: u32,
  messagePtr: usize,
  messageSize: usize,
  endStream: u32,
): u32;
export declare function proxy_grpc_close(token: u32): u32;
export declare function proxy_grpc_cancel(token: u32): u32;

// Metrics
export declare function proxy_define_metric(
  metricType: u32,
  namePtr: usize,
  nameSize: usize,
  returnIdPtr: usize,
): u32;
export declare function proxy_increment_metric(metricId: u32, offset: i64): u32;
export declare function proxy_record_metric(metricId: u32, value: u64): u32;
