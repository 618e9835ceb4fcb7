// Stream-level properties (envoy filters/common/expr/context.h/.cc RequestWrapper, ResponseWrapper,
// PeerWrapper, ConnectionWrapper, XDSWrapper; common/wasm/context.cc FILTER_STATE fallback).
// Header-derived request values exist only while Envoy still holds the request header map
// (it drops it once on_request_headers continued) or in the access-log phase.

import type { HeaderMap } from './header-map';
import { encodePairsLatin1 } from './pairs';
import { int64, str } from './properties';

export interface StreamPropertySource {
  readonly info: StreamInfo;
  readonly startNs: bigint;
  requestMap(): HeaderMap | null;
  responseMap(): HeaderMap | null;
  responseTrailersMap(): HeaderMap | null;
  responseCode(): number | undefined;
  responseCodeDetails(): string | undefined;
  readonly filterState: Map<string, Uint8Array>;
}

export interface StreamInfo {
  /** Downstream connection id (connection.id, connection_id). */
  connectionId?: number;
  /** "ip:port" of the downstream peer (source.address / source.port). */
  sourceAddress?: string;
  /** "ip:port" of the listener (destination.address / destination.port). */
  destinationAddress?: string;
  /** request.protocol, default "HTTP/1.1". */
  protocol?: string;
  /** xds.route_name / xds.cluster_name. */
  routeName?: string;
  clusterName?: string;
}

/** All values of a header joined by ',' (HeaderUtility::getAllOfHeaderAsString). */
const allOf = (m: HeaderMap, key: string): Uint8Array | undefined => {
  const vals: string[] = [];
  for (let i = 0; i < m.size; i++) if (m.keyAt(i) === key) vals.push(m.valueAt(i));
  return vals.length === 0 ? undefined : str(vals.join(','));
};

const headersValue = (m: HeaderMap | null, rest: string[]): Uint8Array | undefined => {
  if (m === null) return undefined;
  if (rest.length === 0) return encodePairsLatin1(m.kv);
  return rest.length === 1 ? allOf(m, rest[0].toLowerCase()) : undefined;
};

const peer = (addr: string | undefined, rest: string[]): Uint8Array | undefined => {
  if (addr === undefined || rest.length !== 1) return undefined;
  if (rest[0] === 'address') return str(addr);
  if (rest[0] === 'port') {
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    return Number.isInteger(port) ? int64(port) : undefined;
  }
  return undefined;
};

export const streamProperty = (s: StreamPropertySource, parts: string[]): Uint8Array | undefined | null => {
  const [top, ...rest] = parts;
  const leaf = (v: Uint8Array | undefined): Uint8Array | undefined => (rest.length <= 1 ? v : undefined);
  switch (top) {
    case 'request': {
      if (rest.length === 0) return null; // a whole wrapper map does not serialize
      const h = s.requestMap();
      const field = rest[0];
      const header = (k: string): Uint8Array | undefined => (h === null ? undefined : leaf(allOf(h, k)));
      switch (field) {
        case 'path':
          return header(':path');
        case 'url_path': {
          const p = h?.getRaw(':path');
          return p === undefined ? undefined : leaf(str(p.split('?')[0]));
        }
        case 'query': {
          const p = h?.getRaw(':path');
          return p === undefined ? undefined : leaf(str(p.includes('?') ? p.slice(p.indexOf('?') + 1) : ''));
        }
        case 'host':
          return header(':authority');
        case 'scheme':
          return header(':scheme');
        case 'method':
          return header(':method');
        case 'referer':
          return header('referer');
        case 'useragent':
          return header('user-agent');
        case 'id':
          return header('x-request-id');
        case 'headers':
          return headersValue(h, rest.slice(1));
        case 'time':
          return leaf(int64(s.startNs));
        case 'protocol':
          return leaf(str(s.info.protocol ?? 'HTTP/1.1'));
        default:
          return undefined;
      }
    }
    case 'response': {
      if (rest.length === 0) return null;
      switch (rest[0]) {
        case 'code': {
          const c = s.responseCode();
          return c === undefined ? undefined : leaf(int64(c));
        }
        case 'code_details': {
          const d = s.responseCodeDetails();
          return d === undefined ? undefined : leaf(str(d));
        }
        case 'headers':
          return headersValue(s.responseMap(), rest.slice(1));
        case 'trailers':
          return headersValue(s.responseTrailersMap(), rest.slice(1));
        default:
          return undefined;
      }
    }
    case 'source':
      return peer(s.info.sourceAddress, rest);
    case 'destination':
      return peer(s.info.destinationAddress, rest);
    case 'connection':
      if (rest.length === 1 && rest[0] === 'id' && s.info.connectionId !== undefined)
        return int64(s.info.connectionId);
      if (rest.length === 1 && rest[0] === 'mtls') return new Uint8Array([0]);
      return undefined;
    case 'connection_id':
      return s.info.connectionId === undefined || rest.length > 0 ? undefined : int64(s.info.connectionId);
    case 'xds':
      if (rest.length === 1 && rest[0] === 'route_name' && s.info.routeName !== undefined)
        return str(s.info.routeName);
      if (rest.length === 1 && rest[0] === 'cluster_name' && s.info.clusterName !== undefined)
        return str(s.info.clusterName);
      return undefined;
    default: {
      // Filter state written by proxy_set_property under "wasm.<path>".
      const v = s.filterState.get('wasm.' + top);
      return v === undefined || rest.length > 0 ? undefined : v;
    }
  }
};
