/** distribute/: plan distribution to proxies (delta xDS) and usage intake. The public surface. */
export { DistributionServer, type DistributionServerOptions } from './server/distribution-server';
export type { NodeStatus } from './server/node-status';
export type { ResourceAckState, NackRecord } from './server/delta-stream';
export type { AuthOptions } from './server/auth';
export type { TlsFiles } from './transport/grpc-server';
export {
  ReservationCache,
  PublishRejectedError,
  type CacheOptions,
  type PublishResult,
  type ReservationChanges,
} from './cache/reservation-cache';
export { reservationProblem } from './cache/validate-reservation';
export type * from './callbacks';
export { DistributionMetrics } from './metrics';
export { stderrLogger, MemoryLogger, type Logger } from './logger';
export {
  ReservationClient,
  type ReservationClientOptions,
  type ResponseEvent,
} from './client/reservation-client';
export { ReservationState, type HeldReservation, type ReservationCheck } from './client/reservation-state';
export { UsageReporter, type UsageReporterOptions } from './client/usage-reporter';
export { RESERVATION_TYPE_URL } from './codec/resource-codec';
export { DELTA_RESERVATIONS_PATH, STREAM_USAGE_PATH } from './protos';
