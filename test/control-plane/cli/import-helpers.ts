/** Runs `earmark import ...` in this process through the CLI dispatcher, capturing its output. */
import { main } from '../../../control-plane/cli/main';
import * as path from 'node:path';

export const FIXTURES = path.join(__dirname, 'fixtures', 'import');
export const TRACES = path.join(__dirname, '..', '..', '..', '..', 'shared', 'traces');

export async function earmark(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => (
    (stdout += String(s)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (
    (stderr += String(s)),
    true
  )) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
