/**
 * Policy YAML -> a typed Policy, or one PolicyError listing every problem with file:line:column,
 * the path, what was expected and "did you mean" for typos (as envoyproxy/ratelimit's config
 * checker does). Nothing half-valid leaves this file.
 */
import * as fs from 'node:fs';
import type { Node } from 'yaml';
import { suggest } from '../config/load-settings';
import type { ExhaustedAction } from '../domain/reservation';
import type {
  Amounts,
  InstanceClassPolicy,
  KubernetesTarget,
  Policy,
  ScalingMode,
  TierPolicy,
  WebhookTarget,
} from './policy';
import { POLICY_SCHEMA } from './policy-schema';
import { formatProblem, YamlProblem, YamlReader } from './yaml-schema';

export type PolicyProblem = YamlProblem;

export class PolicyError extends Error {
  constructor(readonly problems: PolicyProblem[]) {
    super(`invalid policy:\n${problems.map((p) => '  ' + formatProblem(p)).join('\n')}`);
    this.name = 'PolicyError';
  }
  /** One line per problem, as `earmark check-config` prints them. */
  lines(): string[] {
    return this.problems.map(formatProblem);
  }
}

type Raw = Record<string, any>;

export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new PolicyError([
      { file, line: 0, column: 0, path: '', message: `cannot read policy file: ${code}` },
    ]);
  }
  return parsePolicy(text, file);
}

export function parsePolicy(text: string, file = '<policy>'): Policy {
  const r = new YamlReader(file, text);
  if (r.problems.length > 0) throw new PolicyError(r.problems);
  if (r.root === null || r.root === undefined) {
    r.report(undefined, '', 'empty policy: expected a map with at least tiers and instanceClasses');
    throw new PolicyError(r.problems);
  }
  const raw = r.read(POLICY_SCHEMA, r.root, '') as Raw;
  const policy = toPolicy(raw, r);
  if (r.problems.length > 0) throw new PolicyError(r.problems);
  return policy!;
}

/** Finds the YAML node at a dotted path, to place cross-field problems on the right line. */
function nodeAt(root: Node | null | undefined, path: string[]): Node | undefined {
  let n: any = root;
  for (const key of path) {
    if (!n || typeof n.get !== 'function') return undefined;
    n = n.get(key, true);
  }
  return n ?? undefined;
}

function checkReference(r: YamlReader, path: string, name: string, known: string[], what: string): void {
  if (known.includes(name)) return;
  const s = suggest(name, known);
  r.report(
    nodeAt(r.root, path.split('.')),
    path,
    `unknown ${what} "${name}"${s ? ` (did you mean ${s}?)` : ''}; ${what === 'tier' ? 'tiers' : 'instance classes'} are ${known.join(', ')}`,
  );
}

function toPolicy(raw: Raw, r: YamlReader): Policy | undefined {
  const tierMap = (raw.tiers ?? new Map()) as Map<string, Raw>;
  const classMap = (raw.instanceClasses ?? new Map()) as Map<string, Raw>;
  const tiers: TierPolicy[] = [];
  for (const [name, t] of tierMap) {
    if (!t || t.quantile === undefined || t.priority === undefined) continue;
    tiers.push({
      name,
      quantile: t.quantile,
      priority: t.priority,
      maxQueueWaitMs: t.maxQueueWait,
      onExhausted: t.onExhausted as ExhaustedAction,
      headroom: t.headroom,
      minSlots: t.minSlots,
      warmAbove: t.warmAbove,
      holdPeakMs: t.holdPeak,
      overflowRoom: t.overflowRoom,
      max: (t.max ?? {}) as Amounts,
      fallback: t.fallback,
    });
  }
  tiers.sort((a, b) => b.priority - a.priority);
  const classes: InstanceClassPolicy[] = [];
  for (const [name, c] of classMap) {
    if (
      !c?.capacity ||
      Object.values(c.capacity).some((v) => v === undefined) ||
      Object.keys(c.capacity).length < 4
    )
      continue;
    classes.push({ name, capacity: c.capacity, costPerHour: c.costPerHour, warmupMs: c.warmup });
  }
  const tierNames = [...tierMap.keys()];
  const classNames = [...classMap.keys()];
  const lowest = tiers.length ? tiers[tiers.length - 1].name : '';
  const defaultTier = raw.defaultTier || lowest;
  if (raw.defaultTier && tierNames.length)
    checkReference(r, 'defaultTier', raw.defaultTier, tierNames, 'tier');
  const s = raw.scaling as Raw;
  const scalingClass = s.instanceClass || classNames[0] || '';
  if (s.instanceClass && classNames.length)
    checkReference(r, 'scaling.instanceClass', s.instanceClass, classNames, 'instance class');
  if (s.minInstances !== undefined && s.maxInstances !== undefined && s.minInstances > s.maxInstances)
    r.report(
      nodeAt(r.root, ['scaling', 'minInstances']),
      'scaling.minInstances',
      `must be <= scaling.maxInstances (${s.maxInstances})`,
    );
  let kubernetes: KubernetesTarget | undefined;
  if (s.kubernetes) {
    const k = s.kubernetes as Raw;
    const deployments = Object.fromEntries((k.deployments ?? new Map()) as Map<string, string>);
    for (const cls of Object.keys(deployments))
      if (classNames.length)
        checkReference(r, `scaling.kubernetes.deployments.${cls}`, cls, classNames, 'instance class');
    kubernetes = {
      apiServer: String(k.apiServer).replace(/\/+$/, ''),
      namespace: k.namespace,
      token: k.token,
      tokenFile: k.tokenFile,
      caFile: k.caFile,
      insecureSkipTlsVerify: k.insecureSkipTlsVerify,
      timeoutMs: k.timeout,
      deployments,
    };
  }
  let webhook: WebhookTarget | undefined;
  if (s.webhook) {
    const w = s.webhook as Raw;
    webhook = {
      url: w.url,
      timeoutMs: w.timeout,
      retries: w.retries,
      backoffMs: w.backoff,
      headers: Object.fromEntries((w.headers ?? new Map()) as Map<string, string>),
    };
  }
  if (r.problems.length > 0) return undefined;
  return {
    tiers,
    defaultTier,
    leadTimeMs: raw.leadTime,
    validityMs: raw.validity,
    loadMaxAgeMs: raw.loadMaxAge,
    rateBurstMs: raw.rateBurst,
    reservable: raw.reservable,
    overcommit: raw.overcommit,
    perSlot: raw.perSlot,
    fallback: raw.fallback,
    instanceClasses: classes,
    stickiness: raw.stickiness,
    scaling: {
      mode: s.mode as ScalingMode,
      instanceClass: scalingClass,
      targetUtilization: s.targetUtilization,
      minInstances: s.minInstances,
      maxInstances: s.maxInstances,
      maxScaleInStep: s.maxScaleInStep,
      webhook,
      kubernetes,
    },
  };
}
