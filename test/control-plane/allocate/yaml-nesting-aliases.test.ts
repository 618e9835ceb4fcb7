/**
 * parsePolicy (check-config, policyFile, stored policy versions) on deep nesting and on anchors
 * and aliases: deep input is a PolicyError naming the depth, not a stack overflow or a process
 * abort; aliases read as what they stand for, up to a cap.
 */
import { strict as assert } from 'node:assert';
import { parsePolicy, PolicyError } from '../../../control-plane/allocate/load-policy';
import { MAX_ALIASES } from '../../../control-plane/allocate/yaml-schema';

const CLASSES = [
  'instanceClasses:',
  '  small:',
  '    capacity: {slots: 100, cpuMillicores: 4000, memoryMb: 8192, bandwidthKbps: 100000}',
];

function problems(text: string): string[] {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err));
    return err.lines();
  }
  assert.fail('expected a PolicyError');
}

describe('allocate: policy YAML nesting and aliases', () => {
  for (const n of [65, 3000, 20000])
    it(`flow nesting ${n} deep is one problem at 1:1, every time`, () => {
      for (let i = 0; i < 3; i++)
        assert.deepEqual(problems('['.repeat(n) + ']'.repeat(n)), [
          'p.yaml:1:1: malformed YAML: nested deeper than 64 levels',
        ]);
    });

  it('block nesting past 64 levels is refused the same way', () => {
    const text = Array.from({ length: 3000 }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1\n';
    assert.deepEqual(problems(text), ['p.yaml:1:1: malformed YAML: nested deeper than 64 levels']);
  });

  it('a tier given as an alias of another reads as that tier', () => {
    const text = [
      ...CLASSES,
      'tiers:',
      '  gold: &base {quantile: 0.99, priority: 100}',
      '  silver: *base',
      '',
    ];
    const tiers = parsePolicy(text.join('\n')).tiers;
    const [gold, silver] = ['gold', 'silver'].map((n) => tiers.find((t) => t.name === n));
    assert.deepEqual({ ...silver, name: 'gold' }, gold);
    assert.equal(silver?.quantile, 0.99);
  });

  it('a scalar alias reads as its value, and a wrong one is placed at the anchor', () => {
    const ok = [
      ...CLASSES,
      'tiers:',
      '  gold: {quantile: &q 0.99, priority: 100}',
      '  free: {quantile: *q, priority: 1}',
    ];
    assert.equal(parsePolicy(ok.join('\n')).tiers.find((t) => t.name === 'free')?.quantile, 0.99);
    const bad = [
      ...CLASSES,
      'tiers:',
      '  gold: {quantile: 0.99, priority: &p x}',
      '  free: {quantile: 0.5, priority: *p}',
    ];
    const lines = problems(bad.join('\n'));
    assert.ok(
      lines.some((l) => l.startsWith('p.yaml:5:') && l.includes('tiers.free.priority')),
      lines.join('\n'),
    );
  });

  it(`more than ${MAX_ALIASES} aliases is one plain problem`, () => {
    const tiers = Array.from({ length: MAX_ALIASES + 5 }, (_, i) => `  t${i}: *base`);
    const text = [...CLASSES, 'tiers:', '  gold: &base {quantile: 0.99, priority: 100}', ...tiers].join('\n');
    const lines = problems(text);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], new RegExp(`more than ${MAX_ALIASES} aliases`));
  });
});
