/**
 * The stream path stays optimisable by V8. Two harmless-looking changes to the stream classes'
 * constructors (StreamState's parameter properties as declared fields; an explicit constructor in
 * StreamFilterCore) made TurboFan abort `newStream` forever ("Bailed out due to dependency
 * change", a StableMapDependency), so every request ran unoptimised, ~3x slower (wasm-host
 * README, session 6). Speed is not asserted here: a child process runs streams under --trace-opt
 * and the test reads whether `newStream` was optimised and how often its compiles were aborted.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixture } from './helpers';

const CHILD = join(__dirname, 'support', 'stream-opt.ts');
const STREAMS = 300_000; // well past the point where newStream is hot, also on a loaded machine

describe('wasm-host stream path under TurboFan', function () {
  this.timeout(120_000);

  it('optimises newStream and does not keep aborting its compiles', () => {
    const r = spawnSync(
      process.execPath,
      ['--trace-opt', '--import', 'tsx', CHILD, fixture('hotpath.wasm'), String(STREAMS)],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`STREAMS ${STREAMS} ROUTED 1`), 'the streams ran the hot path');
    const lines = r.stdout.split('\n');
    const about = (fn: string, what: string): number =>
      lines.filter((l) => l.includes(what) && l.includes(`<JSFunction ${fn} `)).length;
    const aborted = ['newStream', 'HttpStream'].map((fn) => about(fn, 'aborted optimizing'));
    assert.ok(about('newStream', 'completed optimizing') > 0, 'newStream never reached TurboFan');
    // A compile may be aborted once or twice while the stream maps settle; with the regression
    // this guards against, newStream and HttpStream compiles were aborted 190 times here.
    assert.ok(
      aborted[0] + aborted[1] <= 4,
      `aborted compiles: newStream ${aborted[0]}, HttpStream ${aborted[1]}`,
    );
  });
});
