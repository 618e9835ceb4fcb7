/**
 * A plugin configuration the filter refuses stops the emulated proxy at construction with the
 * filter's own reason (the field and what is wrong), not Envoy's generic "failed to configure".
 */
import { strict as assert } from 'node:assert';
import { SimClock } from '../../../control-plane/domain/clock';
import { ProxyFleet } from '../../../sim/proxy';
import { T0 } from './support';

describe('sim/proxy: a configuration the filter refuses', () => {
  it('fails at construction naming the field and the reason', () => {
    assert.throws(
      () =>
        new ProxyFleet({
          clock: new SimClock(T0),
          controlPlane: '127.0.0.1:1',
          token: 'x',
          config: { fail_mode: 'sideways' },
        }),
      (err: Error) => {
        assert.match(err.message, /^emulated proxy edge-1: /);
        assert.match(err.message, /fail_mode: must be one of "open", "closed" \(got "sideways"\)/);
        assert.match(err.message, /\(Envoy: Failed to configure base Wasm plugin\)/);
        return true;
      },
    );
  });
});
