/**
 * Observation hooks, in the spirit of go-control-plane's server.Callbacks: called synchronously at
 * each protocol event of a stream. They observe only; a hook that throws is logged and ignored.
 */
export interface StreamInfo {
  streamId: number;
  /** DeltaDiscoveryRequest.node.id (or UsageReport.node_id); undefined before the first request. */
  nodeId: string | undefined;
  peer: string;
  service: 'discovery' | 'usage';
}

export interface RequestInfo {
  responseNonce: string;
  subscribe: number;
  unsubscribe: number;
  initialVersions: number;
  errorDetail?: string;
}

export interface ResponseInfo {
  nonce: string;
  kind: 'update' | 'heartbeat';
  resources: number;
  removed: number;
  /** Bytes of the message as written (compressed when `compressed`), with its 5-byte prefix. */
  bytes: number;
  rawBytes: number;
  compressed: boolean;
  /** Set when this response completes a cache revision. */
  revision?: number;
  systemVersion: string;
}

export interface AckInfo {
  nonce: string;
  /** Set when the ACKed response completed a revision: the node now holds it. */
  revision?: number;
  systemVersion: string;
  /** From the revision's publish to this ACK, for responses that complete a revision. */
  publishToAckMs?: number;
}

export interface NackInfo {
  nonce: string;
  code: number;
  message: string;
  /** Resources of the rejected response (the node keeps its previous versions of them). */
  resources: number;
}

export interface CloseInfo {
  code: number;
  message: string;
}

export interface DistributionCallbacks {
  onStreamOpen?(s: StreamInfo): void;
  onStreamClose?(s: StreamInfo, c: CloseInfo): void;
  onRequest?(s: StreamInfo, r: RequestInfo): void;
  onResponse?(s: StreamInfo, r: ResponseInfo): void;
  onAck?(s: StreamInfo, a: AckInfo): void;
  onNack?(s: StreamInfo, n: NackInfo): void;
  /** A usage report written to the sink, or dropped (with the reason). */
  onUsageReport?(
    s: StreamInfo,
    r: { sequence: number; users: number; outcome: string; reason?: string },
  ): void;
}
