import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
// A child process holds the StopRequest: a signal the class does not handle kills the child (and
// fails the test on its exit signal) instead of killing mocha.
const CHILD = `
const { StopRequest } = require(${JSON.stringify(path.join(ROOT, 'control-plane/cli/stop-request.ts'))});
const stop = new StopRequest();
const alive = setInterval(() => undefined, 1000); // a service's sockets keep its process up
stop.wait().then((why) => {
  clearInterval(alive);
  const listeners = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
  stop.dispose();
  const after = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
  process.stdout.write(JSON.stringify({ why, listeners, after }));
});
process.stdout.write('ready\\n');
`;

function run(signal: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out === 'ready\n') child.kill(signal);
  });
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig, out })));
}

// After a hang-up the terminal is gone: a closed pipe stands in for it (writes fail with EPIPE where
// a hung-up tty's fail with EIO). The child writes to it as serve and start do when stopping, then
// reports on stderr whether its clean stop ran to the end.
const HUNG_UP_CHILD = `
const { StopRequest } = require(${JSON.stringify(path.join(ROOT, 'control-plane/cli/stop-request.ts'))});
const stop = new StopRequest();
const alive = setInterval(() => undefined, 1000);
stop.wait().then(async (why) => {
  process.stdout.write('stopping (' + why + ')\\n');
  await new Promise((r) => setTimeout(r, 50));
  process.stdout.write('stopped\\n');
  await new Promise((r) => setTimeout(r, 50));
  clearInterval(alive);
  stop.dispose();
  process.stderr.write('clean stop ran to the end\\n');
});
process.stdout.write('ready\\n');
`;

describe('cli StopRequest: the signals that stop earmark serve and earmark start cleanly', function () {
  this.timeout(30_000);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    it(`${signal} is a stop request (the process lives on to stop cleanly), and dispose removes the listeners`, async () => {
      const r = await run(signal);
      assert.equal(r.signal, null, `killed by ${r.signal}: ${signal} not handled`);
      assert.equal(r.code, 0);
      const got = JSON.parse(r.out.slice('ready\n'.length));
      assert.deepEqual(got, { why: signal, listeners: [1, 1, 1], after: [0, 0, 0] });
    });

  it('SIGHUP with the terminal gone still stops cleanly (failed writes to it do not kill the process)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', HUNG_UP_CHILD], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.once('data', () => {
      child.stdout.destroy();
      child.kill('SIGHUP');
    });
    const [code, sig] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    assert.equal(sig, null);
    assert.match(err, /clean stop ran to the end/, err);
    assert.equal(code, 0, err);
  });
});
