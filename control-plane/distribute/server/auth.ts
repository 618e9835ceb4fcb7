/**
 * Bearer-token check on call metadata (`authorization: Bearer <token>`), run before any handler:
 * a missing or unknown token ends the call with UNAUTHENTICATED. Tokens are compared through
 * SHA-256 digests with timingSafeEqual so the comparison time does not leak a prefix.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http2';
import { GrpcError, Status } from '../transport/grpc-status';

export type AuthOptions =
  /** Any of these tokens is accepted. */
  | { tokens: readonly string[] }
  /** Your own check (e.g. per-node tokens from a secret store). */
  | { verify: (token: string) => boolean }
  /** No authentication: only for loopback demos; the server logs a warning at start. */
  | { none: true };

export type AuthFailure = 'missing' | 'scheme' | 'invalid';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function bearerToken(
  headers: IncomingHttpHeaders,
): { token: string } | { failure: AuthFailure; message: string } {
  const raw = headers['authorization'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value)
    return { failure: 'missing', message: 'missing authorization metadata (expected "Bearer <token>")' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  if (!m) return { failure: 'scheme', message: 'authorization metadata must be "Bearer <token>"' };
  return { token: m[1] };
}

/** Builds the gate; `onFailure` counts refusals by reason. */
export function bearerGate(auth: AuthOptions, onFailure: (reason: AuthFailure) => void = () => undefined) {
  if ('none' in auth) return () => undefined;
  let verify: (token: string) => boolean;
  if ('tokens' in auth) {
    if (auth.tokens.length === 0 || auth.tokens.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw new Error('auth.tokens must be a non-empty list of non-empty strings');
    }
    const digests = auth.tokens.map(digest);
    verify = (token) => {
      const d = digest(token);
      let ok = false;
      for (const x of digests) ok = timingSafeEqual(d, x) || ok;
      return ok;
    };
  } else verify = auth.verify;
  return (_path: string, headers: IncomingHttpHeaders): void => {
    const t = bearerToken(headers);
    if ('failure' in t) {
      onFailure(t.failure);
      throw new GrpcError(Status.UNAUTHENTICATED, t.message);
    }
    if (!verify(t.token)) {
      onFailure('invalid');
      throw new GrpcError(Status.UNAUTHENTICATED, 'invalid bearer token');
    }
  };
}
