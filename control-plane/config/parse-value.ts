/**
 * Turns one raw setting value (a string from the environment or a flag, or a YAML/JSON value from
 * the settings file) into its typed value, or says precisely why it can't.
 */
export type SettingKind = 'string' | 'secret' | 'path' | 'url' | 'integer' | 'duration' | 'boolean' | 'enum';

export interface ValueRule {
  kind: SettingKind;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Kind 'url': only scheme, host and port (a client that keeps the origin would drop the rest). */
  originOnly?: boolean;
}

export type Parsed = { ok: true; value: string | number | boolean } | { ok: false; reason: string };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1500ms", "60s", "5m", "1h30m" or a bare number of milliseconds. */
export function parseDurationMs(raw: string): number | undefined {
  const s = raw.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? Math.round(total) : undefined;
}

function bounded(n: number, rule: ValueRule): Parsed {
  if (rule.min !== undefined && n < rule.min) return { ok: false, reason: `must be ≥ ${rule.min}` };
  if (rule.max !== undefined && n > rule.max) return { ok: false, reason: `must be ≤ ${rule.max}` };
  return { ok: true, value: n };
}

export function parseValue(raw: unknown, rule: ValueRule): Parsed {
  if (raw === null || raw === undefined) return { ok: false, reason: 'has no value' };
  if (typeof raw === 'object') return { ok: false, reason: 'must be a single value, not a list or map' };
  const text = String(raw).trim();
  switch (rule.kind) {
    case 'string':
    case 'path':
      return { ok: true, value: text };
    case 'secret':
      // A bearer token is one word: "Bearer a b" can never match it (api/auth.ts), so a value with
      // blanks inside would start a service no client can call.
      if (/\s/.test(text)) return { ok: false, reason: 'must be one word, without spaces or tabs inside' };
      return { ok: true, value: text };
    case 'url': {
      try {
        const u = new URL(text);
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          return { ok: false, reason: 'must be an http(s) URL' };
        if (rule.originOnly && (u.pathname !== '/' || u.search || u.hash || u.username || u.password))
          return {
            ok: false,
            reason: `must be scheme://host:port only, without a path or query (got "${text}")`,
          };
        return { ok: true, value: text.replace(/\/+$/, '') };
      } catch {
        return { ok: false, reason: `"${text}" is not a URL` };
      }
    }
    case 'integer': {
      if (!/^-?\d+$/.test(text)) return { ok: false, reason: `"${text}" is not an integer` };
      return bounded(Number(text), rule);
    }
    case 'duration': {
      const ms = parseDurationMs(text);
      if (ms === undefined)
        return { ok: false, reason: `"${text}" is not a duration (e.g. 60s, 5m, 1500ms)` };
      return bounded(ms, rule);
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return { ok: true, value: true };
      if (['false', '0', 'no', 'off'].includes(t)) return { ok: true, value: false };
      return { ok: false, reason: `"${text}" is not a boolean (true/false)` };
    }
    case 'enum': {
      const values = rule.values ?? [];
      if (values.includes(text)) return { ok: true, value: text };
      return { ok: false, reason: `"${text}" is not one of ${values.join(', ')}` };
    }
  }
}
