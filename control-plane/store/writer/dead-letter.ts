/** Batches InfluxDB refuses (HTTP 400) can never succeed: they are kept on disk with the reason. */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from './logger';

/** InfluxDB refused some of the points (HTTP 400: type conflict, beyond retention, ...). */
export class PointsRejectedError extends Error {}

/** Lines startSeq..endSeq of a batch, refused and dead-lettered with `error`. */
export interface RefusedRange {
  startSeq: number;
  endSeq: number;
  error: Error;
}

/**
 * A batch InfluxDB refused as a whole for some of its points, found by splitting it: only the
 * writes with lines in `ranges` fail (each with its range's error); the rest of the batch is stored.
 */
export class PartlyRefusedError extends Error {
  constructor(readonly ranges: RefusedRange[]) {
    super(ranges.map((r) => r.error.message).join('; '));
  }
}

let counter = 0;

/**
 * Writes `<spoolDir>/rejected/<time>-<n>.lp`: the reason and target as `#` comment lines (which
 * line protocol skips), then the batch, so it can be fixed and posted again by hand.
 */
export async function deadLetter(
  spoolDir: string,
  target: { db: string; rp: string },
  body: string | Buffer,
  lines: number,
  err: Error,
  log: Logger,
): Promise<PointsRejectedError> {
  const dir = path.join(spoolDir, 'rejected');
  const file = path.join(dir, `${Date.now()}-${process.pid}-${++counter}.lp`);
  const reason = err.message.replace(/\n/g, ' ');
  try {
    await fsp.mkdir(dir, { recursive: true });
    const head = `# ${reason}\n# db=${target.db} rp=${target.rp} lines=${lines}\n`;
    await fsp.writeFile(file, Buffer.concat([Buffer.from(head), Buffer.from(body), Buffer.from('\n')]));
  } catch (e) {
    log.error(`could not keep rejected points in ${file}: ${e}`);
  }
  log.error(`${reason}; the batch (${lines} lines) is kept in ${file}`);
  return new PointsRejectedError(`${reason} (batch kept in ${file})`);
}
