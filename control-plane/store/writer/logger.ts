/** Where the store reports what an operator must know (InfluxDB down, spooling, replay, rejects). */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Prefixed lines on stderr: stdout stays free for command output and benchmark JSON. */
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`[store] ${m}\n`),
  warn: (m) => process.stderr.write(`[store] warning: ${m}\n`),
  error: (m) => process.stderr.write(`[store] error: ${m}\n`),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
