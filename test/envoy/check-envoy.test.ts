/**
 * `npm run check:envoy` passes on every config we ship, and fails with a precise message (rule,
 * line, text) on one fixture per mistake. Each fixture states what it must produce in its first
 * lines: `# expect: <rule> <line> <message text>`; every error it yields must be expected.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFiles, shippedFiles } from '../../envoy/check/check';
import { Finding, formatFinding } from '../../envoy/check/findings';
import { command } from '../../control-plane/cli/commands/check-envoy';
import { UsageError } from '../../control-plane/cli/command';

const FIXTURES = path.join(__dirname, 'fixtures');

interface Expectation {
  rule: string;
  line: number;
  text: string;
}

function expectations(file: string): Expectation[] {
  const out: Expectation[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^# expect: (\S+) (\d+) (.+)$/.exec(line);
    if (m) out.push({ rule: m[1], line: Number(m[2]), text: m[3] });
  }
  return out;
}

const show = (fs_: Finding[]) => fs_.map(formatFinding).join('\n') || '(none)';

/** Captures what a CLI command prints, so its exit code and summary can be checked. */
async function runCli(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await command.run(argv), out };
  } finally {
    process.stdout.write = write;
  }
}

describe('check-envoy', function () {
  this.timeout(120_000);

  describe('what we ship', () => {
    it('lists the bootstrap, every Istio manifest and the compose file', () => {
      const files = shippedFiles().map((f) => path.relative(path.join(__dirname, '..', '..'), f));
      assert.ok(files.includes(path.join('envoy', 'envoy.yaml')));
      assert.ok(files.includes(path.join('envoy', 'istio', 'wasmplugin.yaml')));
      assert.ok(files.includes(path.join('envoy', 'istio', 'singleton-sync', 'envoyfilter-bootstrap.yaml')));
      assert.ok(files.includes('docker-compose.yaml'));
    });

    it('has no errors or warnings, and the filter accepts every Earmark plugin configuration in it', async () => {
      const r = await checkFiles(shippedFiles());
      assert.deepEqual(r.findings, [], show(r.findings));
      assert.equal(
        r.pluginConfigs.skipped,
        undefined,
        `filter config validation did not run: ${r.pluginConfigs.skipped}`,
      );
      // envoy.yaml: sync root + filter; Istio: the WasmPlugin and the singleton-sync bootstrap patch.
      assert.equal(r.pluginConfigs.found, 4);
      assert.equal(r.pluginConfigs.checked, 4);
    });

    it('exits 0 from the command line', async () => {
      const { code, out } = await runCli([]);
      assert.equal(code, 0, out);
      assert.match(out, /0 error\(s\)/);
    });
  });

  describe('one fixture per mistake', () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => /\.ya?ml$/.test(f));

    it('has a fixture for each mistake the issue names', () => {
      for (const f of [
        'misspelled-field.yaml',
        'bad-enum.yaml',
        'bad-duration.yaml',
        'unknown-filter-type.yaml',
        'plugin-config-rejected.yaml',
      ]) {
        assert.ok(files.includes(f), f);
      }
    });

    for (const name of files) {
      it(`${name} fails with exactly the expected findings`, async () => {
        const file = path.join(FIXTURES, name);
        const want = expectations(file);
        assert.ok(want.length > 0, `${name} states no "# expect:" line`);
        const r = await checkFiles([file]);
        assert.equal(
          r.pluginConfigs.skipped,
          undefined,
          `filter config validation did not run: ${r.pluginConfigs.skipped}`,
        );
        const errors = r.findings.filter((f) => f.severity === 'error');
        for (const w of want) {
          const hit = errors.find(
            (f) => f.rule === w.rule && f.pos.line === w.line && f.message.includes(w.text),
          );
          assert.ok(
            hit,
            `${name}: expected [${w.rule}] at line ${w.line} containing ${JSON.stringify(w.text)}; got:\n${show(errors)}`,
          );
        }
        const unexpected = errors.filter(
          (f) => !want.some((w) => f.rule === w.rule && f.pos.line === w.line),
        );
        assert.deepEqual(unexpected, [], `${name}: unexpected findings:\n${show(unexpected)}`);
      });
    }

    it('reports a file it cannot read instead of skipping it', async () => {
      const r = await checkFiles([path.join(FIXTURES, 'no-such-file.yaml')]);
      assert.equal(r.findings.length, 1);
      assert.match(r.findings[0].message, /cannot read: .*ENOENT/);
    });

    it('refuses an unknown option as a usage error', async () => {
      await assert.rejects(() => command.run(['--strict']), UsageError);
    });

    it('prints a JSON report with --json', async () => {
      const { code, out } = await runCli(['--json', path.join(FIXTURES, 'bad-enum.yaml')]);
      assert.equal(code, 1);
      const report = JSON.parse(out);
      assert.equal(report.findings[0].rule, 'enum');
      assert.deepEqual(report.findings[0].path, ['static_resources', 'clusters', 0, 'lb_policy']);
    });

    it('makes the command exit 1 and print file:line for a bad fixture', async () => {
      const { code, out } = await runCli([path.join(FIXTURES, 'bad-duration.yaml')]);
      assert.equal(code, 1);
      assert.match(
        out,
        /bad-duration\.yaml:6:\d+: error \[duration\] static_resources\.clusters\[0\]\.connect_timeout: "5m"/,
      );
    });
  });
});
