/**
 * Settings come from, in rising precedence: the defaults, a settings file (YAML or JSON, keys are
 * the setting names), the environment (EARMARK_*), and command-line flags. Every mistake in any
 * source is collected and reported at once in one SettingsError, naming the source and the key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, SettingDefinition, SettingName, Settings, defaultSettings } from './definitions';
import { parseValue } from './parse-value';

export type SettingOrigin = 'default' | 'file' | 'env' | 'flag';

export interface SettingProblem {
  /** "file <path>", "env", "flag". */
  source: string;
  key: string;
  reason: string;
}

export class SettingsError extends Error {
  constructor(readonly problems: SettingProblem[]) {
    super('invalid settings:\n' + problems.map((p) => `  ${p.source} ${p.key}: ${p.reason}`).join('\n'));
    this.name = 'SettingsError';
  }
}

export interface SettingsSources {
  env?: Record<string, string | undefined>;
  argv?: string[];
  /** Settings file; otherwise --config <file> in argv or EARMARK_CONFIG. */
  file?: string;
  /** Leave flags that are not settings in `rest` instead of failing on them. */
  allowOtherFlags?: boolean;
}

export interface LoadedSettings {
  settings: Settings;
  origin: Record<SettingName, SettingOrigin>;
  /** Arguments that were not settings (only with allowOtherFlags). */
  rest: string[];
  file?: string;
}

const BY_NAME = new Map(SETTINGS.map((d) => [d.name as string, d]));
const BY_ENV = new Map(SETTINGS.map((d) => [d.env, d]));
const BY_FLAG = new Map(SETTINGS.map((d) => [d.flag, d]));

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]++;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest known key, when it is close enough to be a likely typo. */
export function suggest(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function unknown(key: string, known: Iterable<string>): string {
  const s = suggest(key, known);
  return s ? `unknown setting (did you mean ${s}?)` : 'unknown setting';
}

interface Assigner {
  set(def: SettingDefinition, raw: unknown, source: string, origin: SettingOrigin, key: string): void;
  problems: SettingProblem[];
}

function assigner(out: Record<string, unknown>, origin: Record<string, SettingOrigin>): Assigner {
  const problems: SettingProblem[] = [];
  return {
    problems,
    set(def, raw, source, from, key) {
      const parsed = parseValue(raw, def);
      if (!parsed.ok) problems.push({ source, key, reason: parsed.reason });
      else {
        out[def.name] = parsed.value;
        origin[def.name] = from;
      }
    },
  };
}

function readFile(file: string, a: Assigner): void {
  const source = `file ${file}`;
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    a.problems.push({ source, key: '(file)', reason: err instanceof Error ? err.message : String(err) });
    return;
  }
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    a.problems.push({ source, key: '(file)', reason: 'must be a map of setting names to values' });
    return;
  }
  for (const [key, raw] of Object.entries(doc as Record<string, unknown>)) {
    const def = BY_NAME.get(key);
    if (!def) a.problems.push({ source, key, reason: unknown(key, BY_NAME.keys()) });
    else a.set(def, raw, source, 'file', key);
  }
}

function readEnv(env: Record<string, string | undefined>, a: Assigner): void {
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('EARMARK_') || key === 'EARMARK_CONFIG' || raw === undefined) continue;
    const def = BY_ENV.get(key);
    // Other EARMARK_* variables may belong to other tools (tests, scripts): only flag near-misses.
    if (!def) {
      const s = suggest(key, BY_ENV.keys());
      if (s) a.problems.push({ source: 'env', key, reason: `unknown setting (did you mean ${s}?)` });
      continue;
    }
    a.set(def, raw, 'env', 'env', key);
  }
}

/** Splits argv into the settings file, setting flags (in order) and everything else. */
function scanFlags(argv: string[], allowOther: boolean, problems: SettingProblem[]) {
  const flags: Array<{ def: SettingDefinition; raw: string; key: string }> = [];
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (flag === '--config') {
      file = inline ?? argv[++i];
      if (file === undefined) problems.push({ source: 'flag', key: flag, reason: 'needs a file path' });
      continue;
    }
    const negated = flag.startsWith('--no-') ? BY_FLAG.get('--' + flag.slice(5)) : undefined;
    if (negated?.kind === 'boolean' && inline === undefined) {
      flags.push({ def: negated, raw: 'false', key: flag });
      continue;
    }
    const def = BY_FLAG.get(flag);
    if (!def) {
      if (allowOther) rest.push(arg);
      else problems.push({ source: 'flag', key: flag, reason: unknown(flag, BY_FLAG.keys()) });
      continue;
    }
    if (inline !== undefined) flags.push({ def, raw: inline, key: flag });
    else if (def.kind === 'boolean' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--')))
      flags.push({ def, raw: 'true', key: flag });
    else if (argv[i + 1] === undefined) problems.push({ source: 'flag', key: flag, reason: 'needs a value' });
    else flags.push({ def, raw: argv[++i], key: flag });
  }
  return { flags, rest, file };
}

export function loadSettings(sources: SettingsSources = {}): LoadedSettings {
  const env = sources.env ?? process.env;
  const out = defaultSettings() as unknown as Record<string, unknown>;
  const origin = Object.fromEntries(SETTINGS.map((d) => [d.name, 'default'])) as Record<
    string,
    SettingOrigin
  >;
  const a = assigner(out, origin);
  const scanned = scanFlags(sources.argv ?? [], sources.allowOtherFlags ?? false, a.problems);
  const file = sources.file ?? scanned.file ?? env.EARMARK_CONFIG;
  if (file) {
    if (!fs.existsSync(file))
      a.problems.push({ source: `file ${file}`, key: '(file)', reason: 'does not exist' });
    else readFile(path.resolve(file), a);
  }
  readEnv(env, a);
  for (const f of scanned.flags) a.set(f.def, f.raw, 'flag', 'flag', f.key);
  if (a.problems.length) throw new SettingsError(a.problems);
  return {
    settings: out as unknown as Settings,
    origin: origin as Record<SettingName, SettingOrigin>,
    rest: scanned.rest,
    file,
  };
}

/** The settings with secrets replaced, for start-up logs and `earmark serve --print-settings`. */
export function redactedSettings(s: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of SETTINGS) {
    const v = s[d.name];
    out[d.name] = d.kind === 'secret' && v ? '***' : v;
  }
  return out;
}

/** One block per setting: flag, env, default, description. For `--help` texts. */
export function settingsHelp(): string {
  return SETTINGS.map((d) => {
    const def = d.kind === 'secret' ? '(none)' : JSON.stringify(d.default);
    return `  ${d.flag} <${d.kind}>   env ${d.env}, default ${def}\n      ${d.description}`;
  }).join('\n');
}
