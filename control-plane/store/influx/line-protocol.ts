/**
 * InfluxDB 1.x line protocol, written by hand: formatting is on the ingest hot path and the format
 * is small. Every point carries an explicit millisecond timestamp, which is what makes a replayed
 * write idempotent (same measurement + tag set + time overwrites instead of adding a point).
 */

export type FieldValue = number | string | boolean;

export interface Point {
  measurement: string;
  /** Empty tag values are not allowed by InfluxDB and are dropped here. */
  tags?: Readonly<Record<string, string>>;
  /** Numbers are written as floats (no `i` suffix) so every writer agrees on the field type. */
  fields: Readonly<Record<string, FieldValue | undefined>>;
  /** Unix epoch milliseconds. Required: it is what makes replays exactly-once in the data. */
  timeMs: number;
}

// Test first: most names need no escaping, and replace() allocates. InfluxDB 1.x unescapes only
// `\,` `\ ` `\=` in names (a backslash elsewhere is literal), but `\"` and `\\` in string fields.
const MEASUREMENT_SPECIAL = /[, ]/;
const KEY_SPECIAL = /[, =]/;
const STRING_SPECIAL = /["\\]/;
const UNWRITABLE_NAME = /[\n\r]|\\$/;

function checkName(s: string, what: string): void {
  if (UNWRITABLE_NAME.test(s))
    throw new Error(`${what} ${JSON.stringify(s)} has a newline or ends in a backslash`);
}

export function escapeMeasurement(s: string): string {
  checkName(s, 'measurement');
  return MEASUREMENT_SPECIAL.test(s) ? s.replace(/[, ]/g, '\\$&') : s;
}

/** Tag keys, tag values and field keys share one escaping rule. */
export function escapeKey(s: string): string {
  checkName(s, 'tag or field name');
  return KEY_SPECIAL.test(s) ? s.replace(/[, =]/g, '\\$&') : s;
}

export function escapeString(s: string): string {
  return STRING_SPECIAL.test(s) ? s.replace(/["\\]/g, '\\$&') : s;
}

/** Floats in a form InfluxDB parses: finite only (NaN and Infinity are not representable). */
export function formatNumber(n: number): string {
  return String(n);
}

/** One line; throws on what InfluxDB would reject, so a bad point never reaches a batch. */
export function formatPoint(p: Point): string {
  if (!p.measurement) throw new Error('point without a measurement');
  if (!Number.isSafeInteger(p.timeMs))
    throw new Error(`${p.measurement}: timeMs must be an integer epoch ms`);
  let line = escapeMeasurement(p.measurement);
  if (p.tags) {
    // InfluxDB sorts tags itself; sorting here keeps series keys canonical in the spool too.
    for (const k of Object.keys(p.tags).sort()) {
      const v = p.tags[k];
      if (v === undefined || v === '') continue;
      line += ',' + escapeKey(k) + '=' + escapeKey(v);
    }
  }
  let sep = ' ';
  for (const k in p.fields) {
    const v = p.fields[k];
    if (v === undefined) continue;
    let f: string;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`${p.measurement}.${k}: field is not a finite number (${v})`);
      f = formatNumber(v);
    } else if (typeof v === 'boolean') f = v ? 'true' : 'false';
    else f = '"' + escapeString(v) + '"';
    line += sep + escapeKey(k) + '=' + f;
    sep = ',';
  }
  if (sep === ' ') throw new Error(`${p.measurement}: a point needs at least one field`);
  return line + ' ' + p.timeMs;
}

/**
 * The timestamp at the end of a pre-formatted line, or NaN if it has none. Lines handed to the
 * writer raw (benchmarks, Telegraf-style ingest) must carry one, for the same reason as Point.timeMs.
 */
export function lineTimestamp(line: string): number {
  const sp = line.lastIndexOf(' ');
  if (sp < 0 || sp === line.length - 1) return NaN;
  for (let i = sp + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 48 || c > 57) && !(c === 45 && i === sp + 1)) return NaN;
  }
  return Number(line.slice(sp + 1));
}
