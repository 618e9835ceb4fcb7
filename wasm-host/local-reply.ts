// The response Envoy builds for sendLocalReply (source/common/http/utility.cc sendLocalReply and
// envoy common/wasm/context.cc sendLocalResponse): :status, content-length and content-type
// text/plain for a body, the plugin's extra headers added (addCopy); details have whitespace
// replaced by '_'; a gRPC request gets a trailers-only gRPC response instead. grpc_status outside
// 0..16 means "not set" (SDKs pass -1).

import { HeaderMap } from './header-map';
import type { Pairs } from './pairs';

export interface LocalReply {
  status: number;
  body: string;
  headers: Array<[string, string]>;
  details: string;
  grpcStatus?: number;
}

/** Grpc::Utility::httpToGrpcStatus */
export const httpToGrpcStatus = (code: number): number => {
  switch (code) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
};

export const buildLocalReply = (
  code: number,
  body: Uint8Array,
  extra: Pairs,
  grpcStatus: number,
  details: string,
  isGrpcRequest: boolean,
): { reply: LocalReply; headers: HeaderMap; body: Uint8Array } => {
  const grpc = grpcStatus >= 0 && grpcStatus <= 16 ? grpcStatus : undefined;
  const headers = new HeaderMap();
  let outBody = body;
  if (isGrpcRequest) {
    headers.addRaw(':status', '200');
    headers.addRaw('content-type', 'application/grpc');
    headers.addRaw('grpc-status', String(grpc ?? httpToGrpcStatus(code)));
    if (body.length > 0) headers.addRaw('grpc-message', Buffer.from(body).toString('latin1'));
    outBody = new Uint8Array(0);
  } else {
    headers.addRaw(':status', String(code));
    if (body.length > 0) {
      headers.addRaw('content-length', String(body.length));
      headers.addRaw('content-type', 'text/plain');
    }
  }
  for (let i = 0; i < extra.keys.length; i++) {
    headers.addRaw(
      extra.keys[i].replace(/[A-Z]+/g, (m) => m.toLowerCase()),
      extra.values[i],
    );
  }
  const reply: LocalReply = {
    status: code,
    body: Buffer.from(body).toString('utf8'),
    headers: headers.entries(),
    details: details.replace(/\s/g, '_'),
    grpcStatus: grpc,
  };
  return { reply, headers, body: outBody };
};
