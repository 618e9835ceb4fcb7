/**
 * A small schema language for YAML documents that keeps source positions: each value is checked
 * where it stands, and every problem names file:line:column, the dotted path, what was expected
 * and, for typos, the closest known name. Used by the policy loader; nothing policy-specific here.
 */
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  Lexer,
  LineCounter,
  Node,
  Pair,
  parseDocument,
  Parser,
  Scalar,
  YAMLMap,
} from 'yaml';
import { parseDurationMs } from '../config/parse-value';
import { suggest } from '../config/load-settings';

export type FieldSpec =
  | {
      kind: 'number';
      doc: string;
      default?: number;
      min?: number;
      max?: number;
      above?: number;
      below?: number;
      integer?: boolean;
    }
  | { kind: 'duration'; doc: string; default?: number; min?: number }
  | { kind: 'string'; doc: string; default?: string; url?: boolean }
  | { kind: 'enum'; doc: string; values: readonly string[]; default?: string }
  | { kind: 'boolean'; doc: string; default?: boolean }
  | { kind: 'map'; doc: string; fields: Record<string, FieldSpec>; optional?: boolean }
  | { kind: 'dict'; doc: string; entry: string; of: FieldSpec; minEntries?: number };

/**
 * yaml's composer and toJS recurse once per nesting level: ~3000 levels overflow the stack, and
 * under tsx a second such request then aborted the process (V8 "RegExpCompiler Allocation failed").
 * The shipped policies nest 4 levels (counted as below); 64 is far beyond any policy.
 */
export const YAML_MAX_DEPTH = 64;
const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * The deepest nesting in `text` (block maps/sequences by indentation, compact "- - -" and flow
 * [ { alike; quoted scalars and comments don't count), stopping as soon as it passes `limit`.
 * Uses yaml's own lexer and CST parser, which keep an explicit stack instead of recursing, so the
 * count is what the composer would recurse on and deep input costs nothing past the limit.
 */
export function yamlDepth(text: string, limit = YAML_MAX_DEPTH): number {
  const parser = new Parser();
  let max = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const _ of parser.next(lexeme));
    // The stack also holds the document and the open scalar; only collections are levels.
    let depth = 0;
    for (const t of parser.stack) if (COLLECTIONS.has(t.type)) depth++;
    if (depth > max) max = depth;
    if (max > limit) break;
  }
  return max;
}

export interface YamlProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export function formatProblem(p: YamlProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? p.path + ': ' : ''}${p.message}`;
}

/**
 * Aliases (`*name`) a document may use. The schema has no lists and a fixed depth, so one alias
 * costs one walk of its anchor's node; the cap (as the API's YAML body parser has) keeps an input
 * that repeats an alias to a large map from multiplying that walk.
 */
export const MAX_ALIASES = 100;

export class YamlReader {
  readonly problems: YamlProblem[] = [];
  private readonly lines = new LineCounter();
  private readonly doc: Document;
  private aliases = 0;
  readonly root: Node | null | undefined;

  constructor(
    readonly file: string,
    text: string,
  ) {
    if (yamlDepth(text) > YAML_MAX_DEPTH) {
      const message = `malformed YAML: nested deeper than ${YAML_MAX_DEPTH} levels`;
      this.problems.push({ file, line: 1, column: 1, path: '', message });
      this.doc = new Document();
      return;
    }
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false });
    this.doc = doc;
    // Later parse errors are mostly echoes of the first one, so only the first is reported.
    for (const e of doc.errors.slice(0, 1)) {
      const at = this.lines.linePos(e.pos[0]);
      this.problems.push({
        file,
        line: at.line,
        column: at.col,
        path: '',
        message: `malformed YAML: ${e.message.split('\n')[0]}`,
      });
    }
    this.root = doc.errors.length > 0 ? undefined : (doc.contents as Node | null);
  }

  /** Position of a node; `near` (e.g. the enclosing map) when the node is absent. */
  report(node: Node | null | undefined, path: string, message: string, near?: Node | null): void {
    const range = (node ?? near)?.range;
    const at = range ? this.lines.linePos(range[0]) : { line: 1, col: 1 };
    this.problems.push({ file: this.file, line: at.line, column: at.col, path, message });
  }

  lineOf(node: Node): number {
    return node.range ? this.lines.linePos(node.range[0]).line : 1;
  }

  read(spec: FieldSpec, node: Node | null | undefined, path: string, parent?: Node | null): unknown {
    if (isAlias(node)) {
      // An alias stands for its anchor's node (as yaml's toJS and the API's body parser read it);
      // problems inside are then placed at the anchor's definition.
      if (++this.aliases > MAX_ALIASES) {
        if (this.aliases === MAX_ALIASES + 1)
          this.report(node, path, `more than ${MAX_ALIASES} aliases; write the values out`);
        return undefined;
      }
      node = node.resolve(this.doc);
    }
    switch (spec.kind) {
      case 'map':
        return this.readMap(spec, node, path, parent);
      case 'dict':
        return this.readDict(spec, node, path, parent);
      default:
        return this.readScalar(spec, node, path, parent);
    }
  }

  private pairs(
    node: YAMLMap,
    path: string,
    what: (key: string) => string,
  ): Map<string, Pair<Scalar, Node | null>> {
    const out = new Map<string, Pair<Scalar, Node | null>>();
    for (const pair of node.items as Pair<Node, Node | null>[]) {
      if (!isScalar(pair.key) || (typeof pair.key.value !== 'string' && typeof pair.key.value !== 'number')) {
        this.report(pair.key, path, 'keys must be plain names', node);
        continue;
      }
      const key = String(pair.key.value);
      const first = out.get(key);
      if (first) {
        this.report(
          pair.key,
          join(path, key),
          `duplicate ${what(key)} (first defined at line ${this.lineOf(first.key)})`,
        );
        continue;
      }
      out.set(key, pair as Pair<Scalar, Node | null>);
    }
    return out;
  }

  private readMap(
    spec: Extract<FieldSpec, { kind: 'map' }>,
    node: Node | null | undefined,
    path: string,
    parent?: Node | null,
  ): Record<string, unknown> | undefined {
    if (spec.optional && (node === undefined || node === null)) return undefined;
    const out: Record<string, unknown> = {};
    let pairs = new Map<string, Pair<Scalar, Node | null>>();
    if (node !== undefined && node !== null && !(isScalar(node) && node.value === null)) {
      if (!isMap(node))
        this.report(node, path, `expected a map of ${Object.keys(spec.fields).join(', ')}`, parent);
      else pairs = this.pairs(node, path, (k) => `field "${k}"`);
    }
    const known = Object.keys(spec.fields);
    const misspelled = new Set<string>();
    for (const [key, pair] of pairs) {
      if (spec.fields[key]) continue;
      const s = suggest(key, known);
      if (s) misspelled.add(s);
      const hint = s ? ` (did you mean ${s}?)` : `; expected one of ${known.join(', ')}`;
      this.report(pair.key, join(path, key), `unknown field${hint}`);
    }
    for (const [key, fs] of Object.entries(spec.fields)) {
      const pair = pairs.get(key);
      // A field written with a typo is reported once, as the typo, not again as missing.
      if (!pair && misspelled.has(key)) continue;
      const v = this.read(fs, pair?.value, join(path, key), pair?.key ?? parent ?? node);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  private readDict(
    spec: Extract<FieldSpec, { kind: 'dict' }>,
    node: Node | null | undefined,
    path: string,
    parent?: Node | null,
  ): Map<string, unknown> {
    const out = new Map<string, unknown>();
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) {
      if (spec.minEntries) this.report(node, path, `needs at least ${spec.minEntries} ${spec.entry}`, parent);
      return out;
    }
    if (!isMap(node)) {
      this.report(node, path, `expected a map of ${spec.entry} name -> settings`, parent);
      return out;
    }
    for (const [key, pair] of this.pairs(node, path, (k) => `${spec.entry} "${k}"`))
      out.set(key, this.read(spec.of, pair.value, join(path, key), pair.key));
    if (out.size < (spec.minEntries ?? 0))
      this.report(node, path, `needs at least ${spec.minEntries} ${spec.entry}`);
    return out;
  }

  private readScalar(
    spec: FieldSpec,
    node: Node | null | undefined,
    path: string,
    parent?: Node | null,
  ): unknown {
    const absent = node === undefined || node === null || (isScalar(node) && node.value === null);
    if (absent) {
      const d = 'default' in spec ? spec.default : undefined;
      if (d === undefined) this.report(node, path, `missing (${describe(spec)})`, parent);
      return d;
    }
    if (!isScalar(node)) {
      this.report(node, path, `expected ${describe(spec)}, got a ${isMap(node) ? 'map' : 'list'}`);
      return undefined;
    }
    const v = node.value;
    const shown = typeof v === 'string' ? `"${v}"` : String(v);
    const bad = (): undefined => {
      this.report(node, path, `expected ${describe(spec)}, got ${shown}`);
      return undefined;
    };
    switch (spec.kind) {
      case 'number': {
        if (typeof v !== 'number' || !Number.isFinite(v)) return bad();
        if (spec.integer && !Number.isInteger(v)) return bad();
        if (spec.min !== undefined && v < spec.min) return bad();
        if (spec.max !== undefined && v > spec.max) return bad();
        if (spec.above !== undefined && v <= spec.above) return bad();
        if (spec.below !== undefined && v >= spec.below) return bad();
        return v;
      }
      case 'duration': {
        const ms = typeof v === 'string' && /[a-z]/.test(v) ? parseDurationMs(v) : undefined;
        if (ms === undefined || (spec.min !== undefined && ms < spec.min)) return bad();
        return ms;
      }
      case 'string': {
        if (typeof v !== 'string' || v.trim() === '') return bad();
        if (spec.url && !/^https?:\/\/[^\s/]+/.test(v)) return bad();
        return v.trim();
      }
      case 'enum': {
        if (typeof v === 'string' && spec.values.includes(v)) return v;
        const s = typeof v === 'string' ? suggest(v, spec.values) : undefined;
        this.report(
          node,
          path,
          `expected ${describe(spec)}, got ${shown}${s ? ` (did you mean ${s}?)` : ''}`,
        );
        return undefined;
      }
      case 'boolean':
        return typeof v === 'boolean' ? v : bad();
      default:
        return bad();
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** What a spec accepts, in words (used in messages and in the README table). */
export function describe(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'number': {
      const kind = spec.integer ? 'an integer' : 'a number';
      if (spec.above !== undefined && spec.below !== undefined)
        return `${kind} between ${spec.above} and ${spec.below} (exclusive)`;
      const parts: string[] = [];
      if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
      if (spec.above !== undefined) parts.push(`> ${spec.above}`);
      if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
      if (spec.below !== undefined) parts.push(`< ${spec.below}`);
      return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
    }
    case 'duration':
      return 'a duration with a unit (e.g. 60s, 5m, 1500ms)';
    case 'string':
      return spec.url ? 'an http(s) URL' : 'a non-empty string';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'map':
      return `a map of ${Object.keys(spec.fields).join(', ')}`;
    case 'dict':
      return `a map of ${spec.entry} name -> settings`;
  }
}
