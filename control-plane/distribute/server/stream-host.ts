/** What a DeltaStream needs from the server that owns it (kept narrow so streams test in isolation). */
import type { Clock } from '../../domain/clock';
import type { ReservationCache } from '../cache/reservation-cache';
import type { CloseInfo, DistributionCallbacks } from '../callbacks';
import type { Logger } from '../logger';
import type { DistributionMetrics } from '../metrics';
import type { Codec } from '../protos';
import type { ChunkSource } from './chunk-source';
import type { DeltaStream } from './delta-stream';
import type { CompressionSettings } from './response-chunk';

export interface StreamOptions {
  /** Responses a stream may have awaiting ACK before it stops sending (and starts coalescing). */
  maxInFlight: number;
  compression: CompressionSettings;
}

export interface StreamHost {
  readonly cache: ReservationCache;
  readonly chunks: ChunkSource;
  readonly metrics: DistributionMetrics;
  readonly callbacks: DistributionCallbacks;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly options: StreamOptions;
  readonly requestCodec: Codec<object>;
  /** The stream's first request named its node. */
  identified(stream: DeltaStream): void;
  closed(stream: DeltaStream, info: CloseInfo): void;
}
