/**
 * control-plane/store: InfluxDB 1.x schema, the batching writer with its disk spool, and readers.
 * Import from here; the files behind it are free to move. README.md documents all of it.
 */
export { Store, type StoreOptions } from './store';
export type { DemandQuery } from './demand-windows';
export { LiveDemandWindows, type LiveDemandOptions } from './live-demand';
export type { ForecastQuery, ForecastWriteOptions, StoredForecast } from './forecasts';
export {
  LOAD_METRICS,
  type InstanceLoadQuery,
  type InstanceLoadSample,
  type InstanceLoadWindows,
  type LoadMetric,
} from './instances';
export type { PolicyVersion } from './policies';
export {
  DEFAULT_RESOURCE_PROFILE,
  deriveBandwidthKbps,
  deriveConcurrency,
  deriveCpuMillicores,
  deriveMemoryMb,
  type ProfileCost,
  type ResourceProfile,
} from './resource-profiles';
export { DEFAULT_DATABASE, M as MEASUREMENTS, RP as RETENTION_POLICIES, RAW_RETENTION_MS } from './schema';
export { encodeUsage, InvalidUsageError, USAGE_BLOCK_LINES, usageLines, usagePoints } from './usage';
export type { LineBlock } from './influx/line-buffer';
export type { ContextObservation } from './user-profiles';
export {
  PointsRejectedError,
  StoreWriter,
  type WriterOptions,
  type WriterState,
  type WriterStats,
} from './writer/batch-writer';
export { SpoolFullError, SpoolLockedError } from './writer/spool';
export { silentLogger, stderrLogger, type Logger } from './writer/logger';
export { InfluxHttpError, InfluxQueryError, InfluxUnreachableError } from './influx/http-client';
export { formatPoint, type FieldValue, type Point } from './influx/line-protocol';
