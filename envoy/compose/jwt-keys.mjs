// One-shot: makes the demo's JWT signing key and the JWKS Envoy verifies with, once per volume.
// Demo only: a real deployment verifies tokens from its identity provider (envoy/README.md).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KID } from './jwt.mjs';

const dir = process.env.KEYS_DIR ?? '/keys';
const kid = KID;
mkdirSync(dir, { recursive: true });
if (existsSync(join(dir, 'jwks.json')) && existsSync(join(dir, 'signing-key.pem'))) {
  console.log(`jwt-keys: keys already in ${dir}`);
} else {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  writeFileSync(join(dir, 'signing-key.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }, null, 2), { mode: 0o644 });
  console.log(`jwt-keys: wrote ${dir}/jwks.json and ${dir}/signing-key.pem (kid ${kid})`);
}
