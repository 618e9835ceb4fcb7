/**
 * What the dashboard and the API show per proxy: where its stream stands against the cache, and
 * how it has answered (ACKs, NACKs, the last rejection). Computed on demand from the stream.
 */
import type { ReservationCache } from '../cache/reservation-cache';
import type { DeltaStream, NackRecord } from './delta-stream';

export interface NodeStatus {
  nodeId: string;
  connected: boolean;
  streamId: number;
  peer: string;
  connectedAtMs: number;
  disconnectedAtMs?: number;
  lastRequestAtMs: number;
  subscription: string;
  /** Cache revision now; the last one fully sent to the node; the last one it ACKed. */
  currentRevision: number;
  sentRevision: number;
  ackedRevision: number;
  /** system_version_info (the plan version) of the cache and of the node's last ACKed revision. */
  currentSystemVersion: string;
  ackedSystemVersion: string;
  revisionsBehind: number;
  msBehind: number;
  inFlight: number;
  /** True while HTTP/2 is not accepting more bytes for this node (it is slow or stuck). */
  writeBlocked: boolean;
  bufferedBytes: number;
  responses: number;
  resourcesSent: number;
  removalsSent: number;
  heartbeatsSent: number;
  bytesSent: number;
  acks: number;
  nacks: number;
  staleNonces: number;
  /** Resources the node refused and still holds at an older version. */
  rejectedResources: number;
  lastNack?: NackRecord;
}

/** Milliseconds since the oldest revision the node lacks was published (0 when up to date). */
export function msBehind(cache: ReservationCache, ackedRevision: number, nowMs: number): number {
  if (ackedRevision >= cache.revision) return 0;
  const rec = cache.revisionRecord(ackedRevision + 1) ?? cache.revisionRecord(cache.revision);
  return rec ? Math.max(0, nowMs - rec.publishedAtMs) : 0;
}

export function nodeStatus(s: DeltaStream, cache: ReservationCache, nowMs: number): NodeStatus {
  return {
    nodeId: s.nodeId ?? '',
    connected: s.isOpen,
    streamId: s.id,
    peer: s.call.peer,
    connectedAtMs: s.openedAtMs,
    disconnectedAtMs: s.closedAtMs,
    lastRequestAtMs: s.lastRequestAtMs,
    subscription: s.sub?.describe() ?? 'none yet',
    currentRevision: cache.revision,
    sentRevision: s.sentRevision,
    ackedRevision: s.ackedRevision,
    currentSystemVersion: cache.systemVersion,
    ackedSystemVersion: s.ackedSystemVersion,
    revisionsBehind: Math.max(0, cache.revision - s.ackedRevision),
    msBehind: s.isOpen ? msBehind(cache, s.ackedRevision, nowMs) : 0,
    inFlight: s.inFlight.size,
    writeBlocked: s.writeBlocked,
    bufferedBytes: s.isOpen ? s.call.writableLength : 0,
    responses: s.stats.responses,
    resourcesSent: s.stats.resources,
    removalsSent: s.stats.removals,
    heartbeatsSent: s.stats.heartbeats,
    bytesSent: s.stats.bytes,
    acks: s.stats.acks,
    nacks: s.stats.nacks,
    staleNonces: s.stats.staleNonces,
    rejectedResources: s.rejected.size,
    lastNack: s.lastNack,
  };
}
