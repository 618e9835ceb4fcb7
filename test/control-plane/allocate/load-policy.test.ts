import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPolicyFile, parsePolicy, PolicyError } from '../../../control-plane/allocate/load-policy';
import { command as checkConfig } from '../../../control-plane/cli/commands/check-config';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string): string => path.join(FIXTURES, name);

/** Each bad-policy fixture holds one mistake; this is the exact message it must produce. */
const EXPECTED: Record<string, string[]> = {
  'bad_duration.yaml': [
    '10:11: leadTime: expected a duration with a unit (e.g. 60s, 5m, 1500ms), got "sixty seconds"',
  ],
  'bad_overcommit.yaml': ['19:8: overcommit.cpu: expected a number >= 1 and <= 10, got 0.5'],
  'bad_priority.yaml': ['8:15: tiers.free.priority: expected an integer >= 0, got "high"'],
  'bad_quantile.yaml': ['7:15: tiers.free.quantile: expected a number between 0 and 1 (exclusive), got 1.5'],
  'bad_webhook_url.yaml': [
    '20:10: scaling.webhook.url: expected an http(s) URL, got "hooks.example.com/scale"',
  ],
  'bad_yaml.yaml': [
    '8:5: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  'duplicate_tier.yaml': ['6:3: tiers.gold: duplicate tier "gold" (first defined at line 2)'],
  'duration_without_unit.yaml': [
    '10:11: leadTime: expected a duration with a unit (e.g. 60s, 5m, 1500ms), got 60',
  ],
  'empty.yaml': ['1:1: empty policy: expected a map with at least tiers and instanceClasses'],
  'kubernetes_unknown_class.yaml': [
    '21:14: scaling.kubernetes.deployments.large: unknown instance class "large"; instance classes are standard',
  ],
  'min_above_max.yaml': ['19:17: scaling.minInstances: must be <= scaling.maxInstances (4)'],
  'missing_quantile.yaml': ['2:3: tiers.gold.quantile: missing (a number between 0 and 1 (exclusive))'],
  'missing_tiers.yaml': ['1:1: tiers: needs at least 1 tier'],
  'misspelled_action.yaml': [
    '9:18: tiers.free.onExhausted: expected one of queue, top_up, redirect, reject, got "rejct" (did you mean reject?)',
  ],
  'misspelled_key.yaml': ['3:5: tiers.gold.quantil: unknown field (did you mean quantile?)'],
  'negative_capacity.yaml': [
    '16:17: instanceClasses.standard.capacity.memoryMb: expected a number >= 0, got -512',
  ],
  'tiers_not_a_map.yaml': ['9:8: tiers: expected a map of tier name -> settings'],
  'unknown_action.yaml': [
    '9:18: tiers.free.onExhausted: expected one of queue, top_up, redirect, reject, got "drop"',
  ],
  'unknown_instance_class.yaml': [
    '19:18: scaling.instanceClass: unknown instance class "standrd" (did you mean standard?); instance classes are standard',
  ],
  'unknown_tier.yaml': ['18:14: defaultTier: unknown tier "platinum"; tiers are gold, free'],
};

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [w1, w2] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await fn();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

describe('allocate: policy loading', () => {
  for (const [name, messages] of Object.entries(EXPECTED)) {
    it(`rejects ${name} with its exact message`, () => {
      const file = fixture(name);
      assert.throws(
        () => loadPolicyFile(file),
        (err: unknown) => {
          assert.ok(err instanceof PolicyError);
          assert.deepEqual(
            err.lines(),
            messages.map((m) => `${file}:${m}`),
          );
          return true;
        },
      );
    });
  }

  it('has an expectation for every fixture except good.yaml', () => {
    const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml') && f !== 'good.yaml');
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort());
  });

  it('reads a valid policy with its defaults filled in', () => {
    const p = loadPolicyFile(fixture('good.yaml'));
    assert.deepEqual(
      p.tiers.map((t) => [t.name, t.quantile, t.priority, t.onExhausted]),
      [
        ['gold', 0.99, 100, 'top_up'],
        ['free', 0.5, 10, 'reject'],
      ],
    );
    assert.equal(p.defaultTier, 'free', 'the lowest-priority tier is the default');
    assert.equal(p.leadTimeMs, 60_000);
    assert.equal(p.tiers[0].max.slots, Infinity);
    assert.deepEqual(p.overcommit, { slots: 1, cpu: 1, memory: 1, bandwidth: 1 });
    assert.equal(p.scaling.mode, 'forecast_only', 'scaling is a dry run unless asked');
    assert.equal(p.scaling.instanceClass, 'standard');
    assert.equal(p.scaling.webhook, undefined);
  });

  it('loads the shipped policies', () => {
    for (const f of ['default.yaml', 'serverless.yaml']) {
      const p = loadPolicyFile(path.join(__dirname, '../../../control-plane/allocate/policies', f));
      assert.ok(p.tiers.length > 0, f);
    }
  });

  it('collects every problem of a document into one error', () => {
    const text = 'tiers:\n  gold: { quantile: 2, priority: -1 }\ninstanceClasses: {}\nleadTme: 5s\n';
    assert.throws(
      () => parsePolicy(text, 'inline.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof PolicyError);
        assert.deepEqual(err.lines(), [
          'inline.yaml:4:1: leadTme: unknown field (did you mean leadTime?)',
          'inline.yaml:2:21: tiers.gold.quantile: expected a number between 0 and 1 (exclusive), got 2',
          'inline.yaml:2:34: tiers.gold.priority: expected an integer >= 0, got -1',
          'inline.yaml:3:18: instanceClasses: needs at least 1 instance class',
        ]);
        return true;
      },
    );
  });

  it('names an unreadable file', () => {
    assert.throws(() => loadPolicyFile(fixture('absent.yaml')), /cannot read policy file: ENOENT/);
  });
});

describe('earmark check-config', () => {
  it('exits 0 and says ok for a valid policy', async () => {
    const r = await capture(() => checkConfig.run([fixture('good.yaml')]));
    assert.equal(r.code, 0);
    assert.match(r.out, /good\.yaml: ok \(2 tiers, 1 instance classes\)/);
  });

  it('exits 1 and prints the precise message for a bad one', async () => {
    const r = await capture(() => checkConfig.run([fixture('good.yaml'), fixture('misspelled_key.yaml')]));
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `${fixture('misspelled_key.yaml')}:3:5: tiers.gold.quantil: unknown field (did you mean quantile?)\n`,
    );
  });
});
