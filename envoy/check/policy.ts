/**
 * The seed policies we ship (envoy/compose/policy.yaml, the earmark-policy ConfigMap) judged by the
 * control plane's own policy validation (control-plane/api's policy model, which adapts the
 * allocator's), loaded only when present, as the filter's own check is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { Finding } from './findings';
import { nodeAt, parseLocated, Pos } from './located';
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

/**
 * Findings for one policy document given as YAML text. `at` is where the text starts: the file
 * (line 1) or a ConfigMap's block scalar (its content starts on the line after `at`, indented by
 * `indent`), so an issue's path ("tiers.gold.onExhausted") becomes the line to edit.
 */
export function checkPolicyText(
  file: string,
  text: string,
  where: { at: Pos; path: (string | number)[]; block?: { indent: number } },
): Finding[] {
  const finding = (pos: Pos, path: (string | number)[], message: string): Finding => ({
    file,
    pos,
    path,
    rule: 'policy',
    severity: 'error',
    message,
  });
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    return [
      finding(
        where.at,
        where.path,
        `policy is not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      ),
    ];
  }
  const model = loadModel();
  if (!model) return [];
  const r = model.validate(doc);
  if (r.ok) return [];
  const root = parseLocated(text)[0]?.root;
  return r.issues.map((i) => {
    const steps = i.path ? i.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : [];
    // The deepest part of the path that exists (a missing field points at its parent).
    let node = undefined;
    for (let n = steps.length; n >= 0 && !node; n--) node = nodeAt(root, steps.slice(0, n));
    const inner = node?.pos ?? { line: 1, col: 1 };
    const pos = where.block
      ? { line: where.at.line + inner.line, col: where.block.indent + inner.col }
      : inner;
    return finding(
      pos,
      [...where.path, ...steps],
      `the control plane rejects this policy: ${i.path || '(root)'}: ${i.message}`,
    );
  });
}
