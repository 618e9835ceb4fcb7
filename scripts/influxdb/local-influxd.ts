/**
 * Lifecycle of a project-local `influxd` (Debian's influxdb package): render the loopback-only config,
 * start the process, wait for /ping, track its PID in a file, stop it cleanly.
 *
 * Used by `npm run influx:start|stop|status`, by `npm start`, and by the tests (each test run gets its
 * own instance in a temporary folder on free ports, so it never collides with one already running).
 */
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LocalInfluxOptions {
  /** Folder for data, meta, wal, the rendered config, the PID file and the log. */
  dir: string;
  /** HTTP port; 0 picks a free one. */
  httpPort?: number;
  /** Extra milliseconds to wait for /ping before giving up. */
  startTimeoutMs?: number;
  /** Keep the process running after this Node process exits (npm run influx:start). */
  detached?: boolean;
  /**
   * Go's GOGC for influxd (default 1000, or EARMARK_INFLUX_GOGC). influxd's write cache is a large,
   * pointer-rich live heap, and with Go's default of 100 the collector re-scans it after every
   * small growth: at 10^5 usage series that was ~40% of influxd's CPU per ingested point.
   */
  goGC?: string;
  /** Go's GOMEMLIMIT for influxd (default 4GiB, or EARMARK_INFLUX_MEMLIMIT): the GC runs harder near it. */
  goMemLimit?: string;
}

/** The Go runtime settings influxd is started with (see LocalInfluxOptions.goGC). */
export function influxdEnv(opts: Pick<LocalInfluxOptions, 'goGC' | 'goMemLimit'> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOGC: opts.goGC ?? process.env.EARMARK_INFLUX_GOGC ?? '1000',
    GOMEMLIMIT: opts.goMemLimit ?? process.env.EARMARK_INFLUX_MEMLIMIT ?? '4GiB',
  };
}

export interface LocalInflux {
  url: string;
  host: string;
  port: number;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

const TEMPLATE = path.join(__dirname, 'influxdb.conf.template');

export function influxdBinary(): string {
  const candidates = [process.env.INFLUXD, '/usr/bin/influxd', '/usr/local/bin/influxd'].filter(
    Boolean,
  ) as string[];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(
    "influxd not found. Install Debian's package first: sudo apt-get update && sudo apt-get install -y influxdb " +
      '(or set INFLUXD to the binary).',
  );
}

/**
 * An influxd started without `detached` must not outlive the Node process that started it (a bench
 * or test stopped by Ctrl-C, `kill` or SIGKILL would leave it running, holding up to its GOMEMLIMIT).
 * A child is not killed with its parent, and no JavaScript runs after a SIGKILL (nor after tsx
 * escalates a relayed signal to SIGKILL, which it does after 60 ms when the event loop is busy). So
 * influxd is exec'd through util-linux's setpriv (Debian: always there, util-linux is essential)
 * with a parent-death signal: the kernel sends it SIGTERM when this process dies, however it dies,
 * and a process that handles the signal itself still stops it its own way first. setpriv execs, so
 * the PID is influxd's own. The signal is tied to the spawning thread: start it from the main one.
 * Without setpriv, a last resort: SIGTERM from the exit hook (not after a signal or SIGKILL).
 */
function tiedToThisProcess(bin: string, args: string[]): { cmd: string; args: string[]; tied?: boolean } {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => fs.existsSync(f));
  return setpriv
    ? { cmd: setpriv, args: ['--pdeathsig', 'SIGTERM', '--', bin, ...args], tied: true }
    : { cmd: bin, args, tied: false };
}

const untied = new Set<ChildProcess>();
let exitHooked = false;

function stopOnExit(child: ChildProcess): void {
  if (!exitHooked)
    process.on('exit', () => {
      for (const c of untied) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    });
  exitHooked = true;
  untied.add(child);
  child.once('exit', () => untied.delete(child));
}

/** A port that was free a moment ago. Races are handled by retrying the start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function ping(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.status === 204;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function renderConfig(dir: string, httpPort: number, rpcPort: number, ifqlPort: number): string {
  const file = path.join(dir, 'influxdb.conf');
  const text = fs
    .readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{HTTP_PORT}}', String(httpPort))
    .replaceAll('{{RPC_PORT}}', String(rpcPort))
    .replaceAll('{{IFQL_PORT}}', String(ifqlPort));
  fs.writeFileSync(file, text);
  return file;
}

export const pidFile = (dir: string): string => path.join(dir, 'influxd.pid');
const portFile = (dir: string): string => path.join(dir, 'influxd.port');

/** The instance recorded in `dir`, if its process is still alive and answering. */
export async function runningInstance(dir: string): Promise<LocalInflux | undefined> {
  try {
    const pid = Number(fs.readFileSync(pidFile(dir), 'utf8'));
    const port = Number(fs.readFileSync(portFile(dir), 'utf8'));
    const url = `http://127.0.0.1:${port}`;
    if (pid > 0 && pidAlive(pid) && (await ping(url))) {
      return { url, host: '127.0.0.1', port, pid, dir, stop: () => stopPid(dir, pid) };
    }
  } catch {
    /* no record */
  }
  return undefined;
}

export async function startLocalInflux(opts: LocalInfluxOptions): Promise<LocalInflux> {
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  const existing = await runningInstance(dir);
  if (existing) return existing;

  const bin = influxdBinary();
  let lastErr: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const httpPort = opts.httpPort || (await freePort());
    const rpcPort = await freePort();
    const ifqlPort = await freePort();
    const conf = renderConfig(dir, httpPort, rpcPort, ifqlPort);
    const log = fs.openSync(path.join(dir, 'influxd.log'), 'a');
    const run = opts.detached
      ? { cmd: bin, args: ['-config', conf] }
      : tiedToThisProcess(bin, ['-config', conf]);
    const child: ChildProcess = spawn(run.cmd, run.args, {
      stdio: ['ignore', log, log],
      detached: !!opts.detached,
      env: influxdEnv(opts),
    });
    fs.closeSync(log);
    if (opts.detached) child.unref();
    else if (!run.tied) stopOnExit(child);
    const url = `http://127.0.0.1:${httpPort}`;
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 20000);
    while (Date.now() < deadline && !exited) {
      if (await ping(url, 500)) {
        fs.writeFileSync(pidFile(dir), String(child.pid));
        fs.writeFileSync(portFile(dir), String(httpPort));
        const pid = child.pid!;
        return { url, host: '127.0.0.1', port: httpPort, pid, dir, stop: () => stopPid(dir, pid) };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited) child.kill('SIGKILL');
    const tail = fs.readFileSync(path.join(dir, 'influxd.log'), 'utf8').split('\n').slice(-5).join('\n');
    lastErr = new Error(
      `influxd did not answer /ping on ${url} (attempt ${attempt + 1}); log tail:\n${tail}`,
    );
    if (opts.httpPort) break; // a fixed port that fails will keep failing
  }
  throw lastErr!;
}

/** SIGTERM, wait for exit (influxd flushes its WAL on the way out), SIGKILL after 15 s. */
export async function stopPid(dir: string, pid: number, graceMs = 15000): Promise<void> {
  if (pidAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const f of [pidFile(dir), portFile(dir)]) fs.rmSync(f, { force: true });
}

/** Kill hard (tests of crash recovery): no chance to flush anything. */
export function killHard(instance: LocalInflux): void {
  if (pidAlive(instance.pid)) process.kill(instance.pid, 'SIGKILL');
}
