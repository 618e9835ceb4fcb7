/**
 * The seed policies we ship (envoy/compose/policy.yaml, the earmark-policy ConfigMap) judged by the
 * control plane's own policy validation (control-plane/api's policy model, which adapts the
 * allocator's), loaded only when present, as the filter's own check is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { Finding } from './findings';
import { Pos } from './located';
import { REPO_ROOT } from './plugin-config';

interface PolicyModel {
  validate(doc: unknown): { ok: true } | { ok: false; issues: { path: string; message: string }[] };
}

function loadModel(): PolicyModel | undefined {
  const entry = path.join(REPO_ROOT, 'control-plane', 'api', 'allocate-policy-model.ts');
  if (!fs.existsSync(entry)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- another part's module, used when present
  return require(entry).allocatePolicyModel as PolicyModel | undefined;
}

/** Findings for one policy document given as YAML text at `pos` (the ConfigMap value or file start). */
export function checkPolicyText(file: string, pos: Pos, path_: (string | number)[], text: string): Finding[] {
  const at = (message: string): Finding => ({
    file,
    pos,
    path: path_,
    rule: 'policy',
    severity: 'error',
    message,
  });
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return [at(`policy is not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)];
  }
  const model = loadModel();
  if (!model) return [];
  const r = model.validate(doc);
  return r.ok
    ? []
    : r.issues.map((i) => at(`the control plane rejects this policy: ${i.path || '(root)'}: ${i.message}`));
}
