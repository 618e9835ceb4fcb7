/** `earmark <command> [options]`: finds the command files in commands/ and runs the one named. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, UsageError } from './command';

export function loadCommands(dir = path.join(__dirname, 'commands')): Command[] {
  const out: Command[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.(ts|js)$/.test(f) || f.endsWith('.d.ts') || f.includes('.test.')) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- commands are discovered at run time
    const mod = require(path.join(dir, f));
    const cmd: Command | undefined = mod.command ?? mod.default;
    if (cmd && typeof cmd.run === 'function') out.push(cmd);
  }
  return out;
}

function overview(cmds: Command[]): string {
  const width = Math.max(...cmds.map((c) => c.name.length), 8);
  return [
    'earmark — predictive capacity reservations for Envoy and Istio',
    '',
    'usage: earmark <command> [options]      earmark <command> --help for details',
    '',
    'commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const cmds = loadCommands();
  // Longest match first, so "eval forecast" wins over a plain "eval".
  const byLength = [...cmds].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const cmd = byLength.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!cmd) {
    const asked = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
    if (asked) process.stderr.write(`earmark: unknown command "${argv.join(' ')}"\n\n`);
    process.stdout.write(overview(cmds));
    return asked ? 2 : 0;
  }
  const rest = argv.slice(cmd.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.help.endsWith('\n') ? cmd.help : cmd.help + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`earmark ${cmd.name}: ${err.message}\n\n${cmd.help}\n`);
      return 2;
    }
    process.stderr.write(`earmark ${cmd.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
