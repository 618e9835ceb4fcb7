/**
 * The logging port every part of the control plane takes: one line per event with structured
 * fields. The service passes one logger to all parts; `jsonLinesLogger` is the default.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Warnings and errors as JSON lines on stderr, tagged with the part that wrote them. */
export function jsonLinesLogger(
  part: string,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const line = (level: string, msg: string, fields?: LogFields) =>
    write(JSON.stringify({ t: new Date().toISOString(), level, part, msg, ...fields }) + '\n');
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (msg, f) => line('warn', msg, f),
    error: (msg, f) => line('error', msg, f),
  };
}
