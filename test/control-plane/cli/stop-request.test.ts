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
});
