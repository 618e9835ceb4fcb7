/** Shared set-up for store tests: a Store on the shared test influxd, own database and spool folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store, silentLogger, type Logger, type StoreOptions } from '../../../control-plane/store';
import { testInflux, uniqueDb } from '../../support/influx';

export function tempDir(prefix = 'earmark-store-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Collects log lines so tests can assert what an operator would be told. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

export async function openTestStore(opts: StoreOptions = {}): Promise<Store> {
  const influx = await testInflux();
  const store = await Store.open({
    url: influx.url,
    database: uniqueDb('store'),
    spoolDir: tempDir(),
    log: silentLogger,
    ...opts,
  });
  await store.schemaReady;
  return store;
}

/** A recent minute boundary, so points fall inside the raw retention policy. */
export function recentMinute(minutesAgo = 120): number {
  return Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;
}
