// The histogram sweep's variant parser (bench/e2e/histogram-sweep.ts): a misspelt or malformed
// parameter must stop the sweep, not run the defaults under the variant's label.
import { strict as assert } from 'node:assert';
import { parseVariant } from '../../../bench/e2e/histogram-sweep';

describe('bench/e2e histogram sweep: variants', () => {
  it('reads key=number entries of the policy config', () => {
    assert.deepEqual(parseVariant('minHitsPerGbHour=0,headPct=10'), { minHitsPerGbHour: 0, headPct: 10 });
    assert.deepEqual(parseVariant(''), {});
  });

  it('refuses a key the policy does not have, naming the known ones', () => {
    assert.throws(
      () => parseVariant('minHitsPerGBHour=0'),
      /unknown variant key "minHitsPerGBHour".*minHitsPerGbHour/,
    );
  });

  it('refuses entries without a number', () => {
    for (const bad of ['headPct=', 'headPct', 'headPct=x', '=3'])
      assert.throws(() => parseVariant(bad), /bad variant entry/, bad);
  });
});
