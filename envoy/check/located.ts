/**
 * YAML (and JSON, which is YAML) parsed into a tree whose every node knows its line and column,
 * so a finding deep inside a typed_config can still name the exact line an operator must edit.
 */
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, Node, parseAllDocuments } from 'yaml';

export interface Pos {
  line: number;
  col: number;
}

export type LNode =
  | { kind: 'map'; pos: Pos; entries: LEntry[] }
  | { kind: 'seq'; pos: Pos; items: LNode[] }
  | { kind: 'scalar'; pos: Pos; value: string | number | boolean | null; quoted: boolean };

export interface LEntry {
  key: string;
  keyPos: Pos;
  value: LNode;
}

/** One YAML document of a file, or the syntax error that stopped it. */
export interface LDoc {
  index: number;
  root: LNode | undefined;
  errors: { pos: Pos; message: string }[];
}

export function parseLocated(text: string): LDoc[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((doc, index) => toLDoc(doc as Document, index, lc));
}

function toLDoc(doc: Document, index: number, lc: LineCounter): LDoc {
  const at = (offset: number): Pos => {
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const errors = doc.errors.map((e) => ({ pos: at(e.pos[0]), message: e.message.split('\n')[0] }));
  if (errors.length) return { index, root: undefined, errors };
  const convert = (n: unknown, fallback: Pos): LNode => {
    if (isAlias(n)) return convert(n.resolve(doc), fallback);
    if (isMap(n)) {
      const entries: LEntry[] = [];
      const merged: LEntry[] = [];
      for (const pair of n.items) {
        const k = pair.key as Node | null;
        const keyPos = k && k.range ? at(k.range[0]) : fallback;
        const key = isScalar(k) ? String(k.value) : String(k);
        const value = convert(pair.value, keyPos);
        // YAML merge keys ("<<: *anchor"): the anchor's entries, unless set explicitly here.
        if (key === '<<') {
          const sources = value.kind === 'seq' ? value.items : [value];
          for (const src of sources) if (src.kind === 'map') merged.push(...src.entries);
        } else entries.push({ key, keyPos, value });
      }
      for (const m of merged) if (!entries.some((e) => e.key === m.key)) entries.push(m);
      return { kind: 'map', pos: n.range ? at(n.range[0]) : fallback, entries };
    }
    if (isSeq(n)) {
      const pos = n.range ? at(n.range[0]) : fallback;
      return { kind: 'seq', pos, items: n.items.map((i) => convert(i, pos)) };
    }
    if (isScalar(n)) {
      const v = n.value;
      const value = typeof v === 'bigint' ? Number(v) : (v as string | number | boolean | null);
      const quoted = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE';
      return { kind: 'scalar', pos: n.range ? at(n.range[0]) : fallback, value, quoted };
    }
    // An empty value ("key:" with nothing after it) is a null scalar at the key.
    return { kind: 'scalar', pos: fallback, value: null, quoted: false };
  };
  return { index, root: doc.contents ? convert(doc.contents, { line: 1, col: 1 }) : undefined, errors };
}

/** Plain JSON value of a located node (for schema validators that want data, not positions). */
export function toPlain(n: LNode): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const e of n.entries) out[e.key] = toPlain(e.value);
  return out;
}

export function entry(n: LNode | undefined, key: string): LEntry | undefined {
  return n && n.kind === 'map' ? n.entries.find((e) => e.key === key) : undefined;
}

/** Follows a path of keys and indexes; undefined when any step is missing. */
export function nodeAt(n: LNode | undefined, path: (string | number)[]): LNode | undefined {
  let cur = n;
  for (const step of path) {
    if (!cur) return undefined;
    if (typeof step === 'number') cur = cur.kind === 'seq' ? cur.items[step] : undefined;
    else cur = entry(cur, step)?.value;
  }
  return cur;
}

/** Renders a path the way an operator reads YAML: static_resources.clusters[2].connect_timeout. */
export function formatPath(path: (string | number)[]): string {
  let s = '';
  for (const step of path) {
    if (typeof step === 'number') s += `[${step}]`;
    else s += s ? `.${step}` : step;
  }
  return s || '(document root)';
}
