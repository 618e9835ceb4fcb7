/**
 * What the service (control-plane/service/control-plane.ts) needs from the API besides the app:
 * the API token (from the settings, or generated into apiTokenFile for the CLI) and seeding the
 * policyFile as version 1 into an empty store.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Settings } from '../config';
import { allocatePolicyModel } from './allocate-policy-model';
import type { StoreState } from './state/store-state';

/** The token from the settings, or a new one written to apiTokenFile (mode 0600) for the CLI. */
export function resolveToken(settings: Settings): { token: string; file?: string } {
  if (settings.apiToken) return { token: settings.apiToken };
  const token = randomBytes(24).toString('base64url');
  const file = path.resolve(settings.apiTokenFile);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { token, file };
}

/** Stores the policyFile as version 1 when the store holds no policy yet. Returns what it did. */
export async function seedPolicy(state: StoreState, file: string, now: number): Promise<string> {
  if (!file) return 'no policyFile set';
  const current = await state.currentPolicy();
  if (current) return `policy version ${current.version} already stored; ${file} not loaded`;
  // Each mistake names the file, so `earmark serve` fails with a message the operator can act on.
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`policyFile ${file}: cannot read it: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`policyFile ${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const checked = allocatePolicyModel.validate(doc, text);
  if (!checked.ok) {
    throw new Error(
      `policyFile ${file}: ${checked.issues.map((i) => `${i.line ?? '?'}: ${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  await state.appendPolicyVersion({
    version: 1,
    policy: checked.policy,
    createdAtMs: now,
    author: 'policyFile',
    source: text,
  });
  return `stored ${file} as policy version 1`;
}
