/** `earmark check-config <policy.yaml>...`: validates policy files offline (ratelimit's config_check_cmd). */
import { Command, UsageError } from '../command';
import { loadPolicyFile, PolicyError } from '../../allocate/load-policy';

export const command: Command = {
  name: 'check-config',
  summary: 'Check allocation policy files (YAML) and print every problem with file:line',
  help: [
    'usage: earmark check-config <policy.yaml> [more.yaml ...]',
    '',
    'Validates each allocation policy against the schema (control-plane/allocate/README.md):',
    'unknown or misspelled fields, bad quantiles, durations and actions, unknown tiers and',
    'instance classes, negative capacities, duplicate tiers, malformed YAML.',
    'Prints "<file>: ok" per valid file, or one line per problem:',
    '  <file>:<line>:<column>: <path>: <what was expected> (did you mean ...?)',
    'Exit status: 0 when every file is valid, 1 otherwise.',
    '',
    'example: earmark check-config control-plane/allocate/policies/default.yaml',
  ].join('\n'),
  async run(argv: string[]): Promise<number> {
    const files = argv.filter((a) => !a.startsWith('-'));
    const unknown = argv.filter((a) => a.startsWith('-'));
    if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}`);
    if (files.length === 0) throw new UsageError('name at least one policy file');
    let failed = 0;
    for (const file of files) {
      try {
        const p = loadPolicyFile(file);
        process.stdout.write(
          `${file}: ok (${p.tiers.length} tiers, ${p.instanceClasses.length} instance classes)\n`,
        );
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        failed++;
        for (const line of err.lines()) process.stderr.write(line + '\n');
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
