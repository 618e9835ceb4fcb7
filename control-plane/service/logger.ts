/**
 * The one logger the service passes to every part: JSON lines on stderr (stdout stays free for
 * command output), at the settings' level. The domain's jsonLinesLogger drops info and debug; this
 * one honours --log-level.
 */
import type { LogFields, Logger } from '../domain/logger';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function leveledLogger(
  level: LogLevel,
  part = 'service',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const min = LEVELS.indexOf(level);
  const at = (lvl: LogLevel) =>
    LEVELS.indexOf(lvl) < min
      ? () => undefined
      : (msg: string, fields?: LogFields) =>
          write(JSON.stringify({ t: new Date().toISOString(), level: lvl, part, msg, ...fields }) + '\n');
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
