// RS256 JWTs for the demo load generator, as the demo IdP would issue them (claims Envoy checks:
// iss, aud, exp; sub becomes x-earmark-user).
import { createSign } from 'node:crypto';
import { Buffer } from 'node:buffer';

export const ISSUER = 'https://idp.earmark.example';
export const AUDIENCE = 'earmark-companions';
export const KID = 'earmark-demo';

const b64 = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

export function signToken(privateKeyPem, sub, nowS = Math.floor(Date.now() / 1000), ttlS = 3600) {
  const head = b64({ alg: 'RS256', typ: 'JWT', kid: KID });
  const body = b64({ iss: ISSUER, aud: AUDIENCE, sub, iat: nowS, exp: nowS + ttlS });
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKeyPem).toString('base64url');
  return { jwt: `${head}.${body}.${sig}`, exp: nowS + ttlS };
}
