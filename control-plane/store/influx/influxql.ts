/** Quoting for InfluxQL text, and reading query results by column name. */
import type { Series } from './http-client';

/** A double-quoted identifier (measurement, tag, field, RP): keywords like "policy" need it. */
export function ident(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** A single-quoted string literal (tag values in WHERE). */
export function literal(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** "db"."rp"."measurement" */
export function qualified(db: string, rp: string, measurement: string): string {
  return `${ident(db)}.${ident(rp)}.${ident(measurement)}`;
}

/** A time bound for WHERE clauses; integer epoch ms. */
export function ms(t: number): string {
  if (!Number.isFinite(t)) throw new Error(`time bound is not a number: ${t}`);
  return `${Math.trunc(t)}ms`;
}

/** An InfluxQL `"tag" = 'a' OR "tag" = 'b'` clause in parentheses; empty list = '' (no filter). */
export function anyOf(tag: string, values: readonly string[]): string {
  if (values.length === 0) return '';
  return '(' + values.map((v) => `${ident(tag)} = ${literal(v)}`).join(' OR ') + ')';
}

/** `WHERE a AND b`, skipping empty conditions. */
export function where(...conds: string[]): string {
  const c = conds.filter(Boolean);
  return c.length ? ' WHERE ' + c.join(' AND ') : '';
}

/** Rows of a series as objects keyed by column, tags merged in. */
export function rows(s: Series): Record<string, unknown>[] {
  return s.values.map((v) => {
    const o: Record<string, unknown> = { ...s.tags };
    s.columns.forEach((c, i) => (o[c] = v[i]));
    return o;
  });
}

export function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' ? v : fallback;
}

export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}
