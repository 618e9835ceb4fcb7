/**
 * distribute/ logs through the control plane's Logger port (domain/logger.ts); by default warnings
 * and errors go to stderr as JSON lines. MemoryLogger keeps lines for tests.
 */
import { jsonLinesLogger, type LogFields, type Logger } from '../domain/logger';

export type { LogFields, Logger };

export const stderrLogger: Logger = jsonLinesLogger('distribute');

export class MemoryLogger implements Logger {
  readonly lines: { level: string; msg: string; fields?: LogFields }[] = [];
  debug(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', msg, fields });
  }
  info(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', msg, fields });
  }
  warn(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', msg, fields });
  }
  error(msg: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', msg, fields });
  }
}
