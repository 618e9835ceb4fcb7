/**
 * Bearer-token check. Tokens are compared as SHA-256 digests with timingSafeEqual, so neither the
 * token's content nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="earmark"' };

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class BearerAuth {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    const usable = tokens.filter((t) => t.length > 0);
    if (usable.length === 0) throw new Error('BearerAuth needs at least one non-empty token');
    this.digests = usable.map(digest);
  }

  /** Throws the ApiError to answer with when the Authorization header does not carry a valid token. */
  check(authorization: string | undefined): void {
    if (!authorization || !authorization.trim())
      throw new ApiError('AUTH_TOKEN_MISSING', undefined, undefined, CHALLENGE);
    const m = /^(\S+)\s+(\S+)\s*$/.exec(authorization.trim());
    if (!m || m[1].toLowerCase() !== 'bearer') {
      throw new ApiError('AUTH_SCHEME_UNSUPPORTED', undefined, undefined, CHALLENGE);
    }
    const d = digest(m[2]);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    if (!ok) {
      throw new ApiError('AUTH_TOKEN_INVALID', undefined, undefined, {
        'WWW-Authenticate': 'Bearer realm="earmark", error="invalid_token"',
      });
    }
  }
}
