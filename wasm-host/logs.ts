// The process log: Envoy's `wasm` logger. proxy_log / fd_write lines below the current level are
// dropped (ENVOY_LOG checks the logger level), the rest are kept in a bounded buffer. Host-side
// events (VM failures, unimplemented calls) are logged here too, with source 'envoy'.

import { LOG_LEVELS, LogLevel, LogLevelName } from './abi';

export interface LogEntry {
  /** Clock time of the entry, epoch ms. */
  time: number;
  level: LogLevelName;
  /** 'wasm' for module logs (proxy_log, stdout/stderr), 'envoy' for the host's own messages. */
  source: 'wasm' | 'envoy';
  /** Thread the VM runs on: 'worker_N' or 'main_thread'. */
  thread: string;
  plugin?: string;
  rootId?: string;
  vmId?: string;
  message: string;
}

export class LogSink {
  level: number;
  readonly entries: LogEntry[] = [];
  dropped = 0;

  constructor(
    level: LogLevelName,
    private readonly max: number,
    private readonly now: () => number,
    private readonly toConsole: boolean,
  ) {
    this.level = LogLevel[level];
  }

  get levelName(): LogLevelName {
    return LOG_LEVELS[this.level];
  }

  /** True when a message at this numeric level would be kept. */
  enabled(level: number): boolean {
    return level >= this.level && this.level < LogLevel.off;
  }

  write(
    level: number,
    source: LogEntry['source'],
    thread: string,
    message: string,
    tags?: Partial<LogEntry>,
  ): void {
    if (!this.enabled(level)) return;
    const entry: LogEntry = { time: this.now(), level: LOG_LEVELS[level], source, thread, message, ...tags };
    this.entries.push(entry);
    // Trim in batches (a splice per line would cost O(max) on every log call).
    if (this.entries.length > this.max + (this.max >> 2)) {
      const extra = this.entries.length - this.max;
      this.entries.splice(0, extra);
      this.dropped += extra;
    }
    if (this.toConsole)
      console.log(
        `[${entry.level}][${source}][${thread}]${tags?.plugin ? ` ${tags.plugin}` : ''} ${message}`,
      );
  }
}
