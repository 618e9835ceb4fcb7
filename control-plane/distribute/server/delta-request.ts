/**
 * A DeltaDiscoveryRequest as proto-loader decodes it, parsed into a typed value or a precise error:
 * nothing half-valid reaches the stream's state.
 */
import { RESERVATION_TYPE_URL } from '../codec/resource-codec';

export interface DeltaRequest {
  nodeId: string | undefined;
  typeUrl: string;
  subscribe: string[];
  unsubscribe: string[];
  initialVersions: Map<string, string>;
  responseNonce: string;
  /** Set on a NACK: the client rejected the response named by responseNonce. */
  errorDetail?: { code: number; message: string };
}

/** The loosely typed object proto-loader produces (defaults: false, so absent fields are undefined). */
export interface RawDeltaRequest {
  node?: { id?: string };
  typeUrl?: string;
  resourceNamesSubscribe?: string[];
  resourceNamesUnsubscribe?: string[];
  initialResourceVersions?: Record<string, string>;
  responseNonce?: string;
  errorDetail?: { code?: number; message?: string };
}

export const MAX_NODE_ID_LENGTH = 256;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseDeltaRequest(raw: RawDeltaRequest): Parsed<DeltaRequest> {
  const typeUrl = raw.typeUrl ?? '';
  if (typeUrl !== '' && typeUrl !== RESERVATION_TYPE_URL) {
    return {
      ok: false,
      error: `type_url "${typeUrl}" is not served here (expected ${RESERVATION_TYPE_URL})`,
    };
  }
  const nodeId = raw.node?.id;
  if (nodeId !== undefined && nodeId.length > MAX_NODE_ID_LENGTH) {
    return { ok: false, error: `node.id is longer than ${MAX_NODE_ID_LENGTH} characters` };
  }
  const initialVersions = new Map<string, string>();
  for (const [name, version] of Object.entries(raw.initialResourceVersions ?? {}))
    initialVersions.set(name, version);
  const err = raw.errorDetail;
  return {
    ok: true,
    value: {
      nodeId: nodeId || undefined,
      typeUrl,
      subscribe: raw.resourceNamesSubscribe ?? [],
      unsubscribe: raw.resourceNamesUnsubscribe ?? [],
      initialVersions,
      responseNonce: raw.responseNonce ?? '',
      // A NACK is any error_detail, even one with code 0 and an empty message (Envoy sets both).
      errorDetail: err ? { code: err.code ?? 0, message: err.message ?? '' } : undefined,
    },
  };
}
