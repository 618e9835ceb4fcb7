/** One typed finding per mistake, with where it is: the checker's single error shape. */
import { formatPath, Pos } from './located';

export type Severity = 'error' | 'warning';

/** Which check found it, so tests and operators can tell a schema slip from a filter rejection. */
export type Rule =
  | 'yaml' // the file does not parse
  | 'unknown-field'
  | 'enum'
  | 'duration'
  | 'type' // wrong JSON type for the field (string where a number belongs, ...)
  | 'any-type' // @type missing or not resolvable
  | 'required' // PGV message.required, oneof required, min_len, min_items ...
  | 'constraint' // other PGV rules: ranges, patterns, const
  | 'oneof' // more than one member of a oneof set
  | 'deprecated'
  | 'extension' // a typed config in a place that does not take that kind of extension
  | 'k8s-schema' // Kubernetes/Istio CRD schema
  | 'plugin-config' // the Earmark filter rejected its configuration
  | 'policy' // the control plane rejected a seed policy we ship
  | 'reference'; // a name that points nowhere (cluster, secret, config map ...)

export interface Finding {
  file: string;
  pos: Pos;
  /** Path inside the document, e.g. ["static_resources","clusters",2,"connect_timeout"]. */
  path: (string | number)[];
  rule: Rule;
  severity: Severity;
  message: string;
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.pos.line}:${f.pos.col}: ${f.severity} [${f.rule}] ${formatPath(f.path)}: ${f.message}`;
}

/** Levenshtein distance, for "did you mean" hints. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest candidate, if close enough to be a plausible typo (a third of the length, at least 2). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean "${c}"?)` : '';
}
