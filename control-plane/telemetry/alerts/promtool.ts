/**
 * Runs Prometheus's own checker on the alert rules beside this file: `promtool check rules` (syntax,
 * PromQL, templates) and `promtool test rules` (the unit tests in earmark.rules.test.yaml). Used by
 * the test suite and by `npm run check:alerts` after an operator edits a threshold.
 * promtool and prometheus come from Debian's prometheus package, extracted into var/tools/ by
 * scripts/install-deps.sh; EARMARK_PROMTOOL / EARMARK_PROMETHEUS, then var/tools/, then PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
export const ALERTS_DIR = __dirname;
export const RULES_FILE = join(__dirname, 'earmark.rules.yaml');
export const RULES_TEST_FILE = join(__dirname, 'earmark.rules.test.yaml');

/** The binary to run for `tool`; throws with the way to get one when there is none. */
export function findTool(tool: 'promtool' | 'prometheus'): string {
  const variable = `EARMARK_${tool.toUpperCase()}`;
  const env = process.env[variable];
  if (env) {
    if (!existsSync(env)) throw new Error(`${variable}=${env}: no such file`);
    return env;
  }
  const local = join(ROOT, 'var', 'tools', tool);
  if (existsSync(local)) return local;
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0) return tool;
  throw new Error(
    `${tool} not found: run scripts/install-deps.sh (it extracts it from Debian's prometheus ` +
      `package into var/tools/), or set ${variable}`,
  );
}

export interface PromtoolRun {
  status: number | null;
  /** stdout and stderr together, as promtool interleaves its findings across both. */
  output: string;
}

/** Runs promtool with `args` in `cwd` (rule_files in a test file are relative to it). */
export function promtool(args: string[], cwd = ALERTS_DIR): PromtoolRun {
  const r = spawnSync(findTool('promtool'), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * `npm run check:alerts`: both checks on the shipped files; exit code 1 when either fails, 2 (with
 * the reason on stderr) when promtool cannot be run at all.
 */
export function main(): number {
  let failed = false;
  try {
    for (const args of [
      ['check', 'rules', RULES_FILE],
      ['test', 'rules', RULES_TEST_FILE],
    ]) {
      const r = promtool(args);
      process.stdout.write(r.output);
      if (r.status !== 0) failed = true;
    }
  } catch (err) {
    process.stderr.write(`check:alerts: ${(err as Error).message}\n`);
    return 2;
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
