// Public API of the proxy-wasm host (see README.md).

export { EnvoyProcess } from './process';
export type { ProcessOptions, PluginConfig, ConfigCheck } from './process';
export { Plugin } from './plugin';
export type { ThreadHandle } from './plugin';
export { WasmVm } from './vm';
export { HttpStream } from './http-stream';
export { HeaderMap } from './header-map';
export type { HeadersInit } from './header-map';
export type { LocalReply } from './local-reply';
export type { LogEntry } from './logs';
export type { StreamInfo } from './stream-properties';
export { WasmLoadError, compileModule } from './code';
export { WasmResult, HeaderMapType, BufferType, StreamType, MetricType, LogLevel } from './abi';
export type { FilterResult, LogLevelName } from './abi';
export { encodePairs } from './pairs';
export { prometheusText } from './prometheus';
export { startAdmin } from './admin';
export type { AdminServer, AdminOptions } from './admin';
export { ENVOY_DEFAULT_BUCKETS } from './metrics';
export { encodeGrpcService, parseGrpcService } from './grpc-service';
