/**
 * The API's logging port; the same shape as distribute/'s Logger, so the service passes one logger
 * to every part.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const line = (level: string, msg: string, fields?: LogFields) =>
  JSON.stringify({ t: new Date().toISOString(), level, part: 'api', msg, ...fields }) + '\n';

export const stderrLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (msg, f) => process.stderr.write(line('warn', msg, f)),
  error: (msg, f) => process.stderr.write(line('error', msg, f)),
};
