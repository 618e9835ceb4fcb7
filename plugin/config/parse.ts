// Validates the plugin configuration JSON into a Config, or names the first bad field with what
// was expected and what was found, e.g. `queue.max_depth: must be an integer from 1 to 65536
// (got 0)`. Unknown fields are errors (a misspelt key silently ignored is a production incident).
import { Blob } from '../lib/bytes';
import { JsonKind, JsonValue, jsonError, parseJson } from '../lib/json';
import { encodePropertyPath } from '../abi/serde';
import { Action, ACTION_NAMES, Config, FailMode, SyncMode } from './config';

export class ParseResult {
  config: Config | null = null;
  error: string = '';
}

class Validator {
  error: string = '';

  fail(path: string, message: string): void {
    if (this.error.length == 0) this.error = path + ': ' + message;
  }

  /** Checks `v` is an object whose keys are all in `allowed`, without duplicates. */
  object(v: JsonValue, path: string, allowed: string[]): bool {
    if (v.kind != JsonKind.Object) {
      this.fail(path, 'must be an object (got ' + v.kindName() + ')');
      return false;
    }
    for (let i = 0; i < v.keys.length; i++) {
      const k = v.keys[i];
      const at = path.length ? path + '.' + k : k;
      if (!allowed.includes(k)) {
        this.fail(at, 'unknown field (allowed: ' + allowed.join(', ') + ')');
        return false;
      }
      for (let j = 0; j < i; j++) {
        if (v.keys[j] == k) {
          this.fail(at, 'duplicate field');
          return false;
        }
      }
    }
    return true;
  }

  member(obj: JsonValue, key: string): JsonValue | null {
    for (let i = 0; i < obj.keys.length; i++) if (obj.keys[i] == key) return obj.items[i];
    return null;
  }

  int(obj: JsonValue, path: string, key: string, min: u32, max: u32, dflt: u32): u32 {
    const v = this.member(obj, key);
    if (v === null) return dflt;
    const at = join(path, key);
    const range = 'must be an integer from ' + min.toString() + ' to ' + max.toString();
    if (v.kind != JsonKind.Number) {
      this.fail(at, range + ' (got ' + v.kindName() + ')');
      return dflt;
    }
    const n = v.num;
    if (!(n == Math.floor(n)) || n < <f64>min || n > <f64>max) {
      const shown = n == Math.floor(n) && Math.abs(n) < 1e15 ? (<i64>n).toString() : n.toString();
      this.fail(at, range + ' (got ' + shown + ')');
      return dflt;
    }
    return <u32>n;
  }

  str(obj: JsonValue, path: string, key: string, dflt: string, minLen: i32, maxLen: i32): string {
    const v = this.member(obj, key);
    if (v === null) return dflt;
    const at = join(path, key);
    if (v.kind != JsonKind.String) {
      this.fail(at, 'must be a string (got ' + v.kindName() + ')');
      return dflt;
    }
    const n = String.UTF8.byteLength(v.str);
    if (n < minLen || n > maxLen) {
      this.fail(
        at,
        'must be ' +
          minLen.toString() +
          ' to ' +
          maxLen.toString() +
          ' bytes long (got ' +
          n.toString() +
          ')',
      );
      return dflt;
    }
    return v.str;
  }

  oneOf(obj: JsonValue, path: string, key: string, names: string[], dflt: i32): i32 {
    const v = this.member(obj, key);
    if (v === null) return dflt;
    const at = join(path, key);
    if (v.kind == JsonKind.String) {
      const i = names.indexOf(v.str);
      if (i >= 0) return i;
    }
    const got = v.kind == JsonKind.String ? '"' + v.str + '"' : v.kindName();
    this.fail(at, 'must be one of "' + names.join('", "') + '" (got ' + got + ')');
    return dflt;
  }

  /** A header name: lowercase token characters, not a pseudo-header. Empty allowed if `optional`. */
  header(obj: JsonValue, path: string, key: string, dflt: Blob, optional: bool): Blob {
    const v = this.member(obj, key);
    if (v === null) return dflt;
    const s = this.str(obj, path, key, '', optional ? 0 : 1, 128);
    if (this.error.length) return dflt;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f || c == 0x2e;
      if (!ok) {
        this.fail(join(path, key), 'must be a lowercase header name of [a-z0-9-_.] (got "' + s + '")');
        return dflt;
      }
    }
    return Blob.utf8(s);
  }
}

function join(path: string, key: string): string {
  return path.length ? path + '.' + key : key;
}

const ACTIONS: string[] = ['queue', 'top_up', 'redirect', 'reject'];

function action(val: Validator, obj: JsonValue, path: string, dflt: Action): Action {
  return <Action>(val.oneOf(obj, path, 'on_exhausted', ACTIONS, <i32>dflt - 1) + 1);
}

/** Parses and validates a configuration document (empty document = all defaults). */
export function parseConfig(text: string): ParseResult {
  const out = new ParseResult();
  const trimmed = text.trim();
  const doc = trimmed.length == 0 ? parseJson('{}') : parseJson(trimmed);
  if (doc === null) {
    out.error = 'not valid JSON: ' + jsonError;
    return out;
  }
  const val = new Validator();
  const c = new Config();
  const top = [
    'key_prefix',
    'identity',
    'max_user_id_bytes',
    'routing_header',
    'decision_header',
    'fail_mode',
    'plan_ttl_ms',
    'defaults',
    'unreserved',
    'queue',
    'reject',
    'tick_ms',
    'usage',
    'slot_lease_ms',
    'sync',
  ];
  if (val.object(doc, '', top)) {
    const prefix = val.str(doc, '', 'key_prefix', 'earmark/', 1, 64);
    c.keyPrefix = Blob.utf8(prefix);
    c.maxUserIdBytes = val.int(doc, '', 'max_user_id_bytes', 1, 256, 128);
    c.routingHeader = val.header(doc, '', 'routing_header', c.routingHeader, false);
    c.decisionHeader = val.header(doc, '', 'decision_header', c.decisionHeader, true);
    c.failMode = <FailMode>val.oneOf(doc, '', 'fail_mode', ['open', 'closed'], <i32>FailMode.Open);
    c.planTtlMs = val.int(doc, '', 'plan_ttl_ms', 100, 86400000, 30000);
    c.tickMs = val.int(doc, '', 'tick_ms', 10, 60000, 100);
    c.slotLeaseMs = val.int(doc, '', 'slot_lease_ms', 0, 86400000, 600000);
    parseIdentity(val, doc, c);
    parseSections(val, doc, c);
    parseSync(val, doc, c);
  }
  if (val.error.length) out.error = val.error;
  else out.config = c;
  return out;
}

function parseIdentity(val: Validator, doc: JsonValue, c: Config): void {
  const id = val.member(doc, 'identity');
  if (id === null || !val.object(id, 'identity', ['header', 'property'])) return;
  const hasHeader = val.member(id, 'header') !== null;
  const prop = val.member(id, 'property');
  if (hasHeader == (prop !== null)) {
    val.fail('identity', 'must have exactly one of "header" or "property"');
    return;
  }
  if (hasHeader) {
    c.identity.header = val.header(id, 'identity', 'header', c.identity.header, false);
    return;
  }
  const p = prop!;
  if (p.kind != JsonKind.Array || p.items.length == 0 || p.items.length > 16) {
    val.fail(
      'identity.property',
      'must be a non-empty array of at most 16 path segments, e.g. ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "jwt", "sub"]',
    );
    return;
  }
  const segments: string[] = [];
  for (let i = 0; i < p.items.length; i++) {
    const s = p.items[i];
    if (s.kind != JsonKind.String || s.str.length == 0 || s.str.includes('\0')) {
      val.fail('identity.property[' + i.toString() + ']', 'must be a non-empty string without NUL');
      return;
    }
    segments.push(s.str);
  }
  c.identity.header = new Blob(new ArrayBuffer(0));
  c.identity.property = encodePropertyPath(segments);
  c.identity.propertyText = segments.join('.');
}

function parseSections(val: Validator, doc: JsonValue, c: Config): void {
  const d = val.member(doc, 'defaults');
  if (d !== null && val.object(d, 'defaults', ['on_exhausted', 'max_queue_wait_ms', 'fallback'])) {
    c.defaults.onExhausted = action(val, d, 'defaults', c.defaults.onExhausted);
    c.defaults.maxQueueWaitMs = val.int(d, 'defaults', 'max_queue_wait_ms', 0, 600000, 1000);
    c.defaults.fallback = Blob.utf8(val.str(d, 'defaults', 'fallback', '', 0, 255));
  }
  const u = val.member(doc, 'unreserved');
  const uKeys = [
    'slots',
    'rate_per_minute',
    'burst',
    'on_exhausted',
    'priority',
    'max_queue_wait_ms',
    'fallback',
    'route',
  ];
  if (u !== null && val.object(u, 'unreserved', uKeys)) {
    const r = c.unreserved;
    r.slots = val.int(u, 'unreserved', 'slots', 0, 1000000000, 0);
    r.ratePerMinute = val.int(u, 'unreserved', 'rate_per_minute', 0, 1000000000, 0);
    r.burst = val.int(u, 'unreserved', 'burst', 0, 1000000000, 0);
    r.onExhausted = action(val, u, 'unreserved', r.onExhausted);
    r.priority = val.int(u, 'unreserved', 'priority', 0, 1000000, 0);
    r.maxQueueWaitMs = val.int(u, 'unreserved', 'max_queue_wait_ms', 0, 600000, 1000);
    r.fallback = Blob.utf8(val.str(u, 'unreserved', 'fallback', '', 0, 255));
    r.route = Blob.utf8(val.str(u, 'unreserved', 'route', '', 0, 255));
  }
  const q = val.member(doc, 'queue');
  if (q !== null && val.object(q, 'queue', ['max_depth', 'retries_per_tick'])) {
    c.queue.maxDepth = val.int(q, 'queue', 'max_depth', 1, 65536, 1024);
    c.queue.retriesPerTick = val.int(q, 'queue', 'retries_per_tick', 1, 65536, 64);
  }
  const rj = val.member(doc, 'reject');
  if (rj !== null && val.object(rj, 'reject', ['status', 'retry_after_s'])) {
    c.reject.status = val.int(rj, 'reject', 'status', 400, 599, 429);
    c.reject.retryAfterS = val.int(rj, 'reject', 'retry_after_s', 1, 86400, 1);
  }
  const us = val.member(doc, 'usage');
  if (us !== null && val.object(us, 'usage', ['flush_ms', 'max_users'])) {
    c.usage.flushMs = val.int(us, 'usage', 'flush_ms', 100, 600000, 1000);
    c.usage.maxUsers = val.int(us, 'usage', 'max_users', 16, 65536, 4096); // ≤ 13 MiB per worker
  }
}

function parseSync(val: Validator, doc: JsonValue, c: Config): void {
  const s = val.member(doc, 'sync');
  const keys = [
    'mode',
    'cluster',
    'authority',
    'token',
    'token_env',
    'node_id',
    'backoff_initial_ms',
    'backoff_max_ms',
    'report_interval_ms',
    'max_report_users',
    'sweep_per_tick',
    'tick_ms',
    'leader_lease_ms',
    'freshness_ms',
  ];
  if (s === null || !val.object(s, 'sync', keys)) return;
  const y = c.sync;
  c.hasSync = true;
  y.mode = <SyncMode>val.oneOf(s, 'sync', 'mode', ['service', 'embedded'], <i32>SyncMode.Service);
  y.cluster = val.str(s, 'sync', 'cluster', '', 1, 255);
  if (val.member(s, 'cluster') === null)
    val.fail('sync.cluster', 'is required: the Envoy cluster of the control plane');
  y.authority = val.str(s, 'sync', 'authority', '', 0, 255);
  y.token = val.str(s, 'sync', 'token', '', 0, 4096);
  y.tokenEnv = val.str(s, 'sync', 'token_env', '', 0, 255);
  if (y.token.length > 0 && y.tokenEnv.length > 0)
    val.fail('sync.token_env', 'give either "token" or "token_env", not both');
  y.nodeId = val.str(s, 'sync', 'node_id', '', 0, 255);
  y.backoffInitialMs = val.int(s, 'sync', 'backoff_initial_ms', 10, 600000, 500);
  y.backoffMaxMs = val.int(s, 'sync', 'backoff_max_ms', 10, 3600000, 30000);
  if (y.backoffMaxMs < y.backoffInitialMs)
    val.fail('sync.backoff_max_ms', 'must be at least backoff_initial_ms');
  y.reportIntervalMs = val.int(s, 'sync', 'report_interval_ms', 100, 3600000, 10000);
  y.maxReportUsers = val.int(s, 'sync', 'max_report_users', 1, 10000000, 100000);
  y.sweepPerTick = val.int(s, 'sync', 'sweep_per_tick', 1, 10000000, 10000);
  y.tickMs = val.int(s, 'sync', 'tick_ms', 10, 60000, 100);
  y.leaderLeaseMs = val.int(s, 'sync', 'leader_lease_ms', 100, 600000, 5000);
  y.freshnessMs = val.int(s, 'sync', 'freshness_ms', 10, 600000, 1000);
  if (y.freshnessMs >= c.planTtlMs) {
    val.fail(
      'sync.freshness_ms',
      'must be below plan_ttl_ms (' + c.planTtlMs.toString() + '), or the plan goes stale between refreshes',
    );
  }
}
