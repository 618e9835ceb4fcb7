/**
 * One real influxd per test run, started lazily in a temporary folder on free ports and stopped
 * by the root hook in hooks.ts. Tests that need isolation create their own database name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalInflux, startLocalInflux } from '../../scripts/influxdb/local-influxd';

let instance: Promise<LocalInflux> | undefined;
let tmpDir: string | undefined;

export function testInflux(): Promise<LocalInflux> {
  if (!instance) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-influx-'));
    instance = startLocalInflux({ dir: tmpDir });
  }
  return instance;
}

/** A fresh, unique database name so tests never see each other's points. */
export function uniqueDb(prefix = 'test'): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function stopTestInflux(): Promise<void> {
  if (!instance) return;
  const inst = await instance.catch(() => undefined);
  instance = undefined;
  if (inst) await inst.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
}
