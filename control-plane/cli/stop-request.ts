/**
 * The signals that ask a long-running command (`earmark serve`, `earmark start`) to stop cleanly:
 * SIGINT (Ctrl-C), SIGTERM (service managers, kill) and SIGHUP (the terminal closed, an ssh session
 * dropped). Without a SIGHUP listener Node dies at once on a hang-up, skipping the clean stop: the
 * store is not flushed and `earmark start`'s detached influxd is left running.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The stop signals as one stop request. One Ctrl-C can arrive twice (the terminal's, and npm passing
 * it on): only a second signal seconds later gives up waiting for the clean stop (exit 130).
 */
export class StopRequest {
  asked: string | undefined;
  private at = 0;
  private wake: ((why: string) => void) | undefined;
  private readonly handler = (sig: NodeJS.Signals) => this.ask(sig);
  private hungUp = false;

  constructor() {
    for (const s of STOP_SIGNALS) process.on(s, this.handler);
  }

  private ask(why: string): void {
    if (why === 'SIGHUP' && !this.hungUp) {
      // The terminal is gone: writing to it fails (EIO), and that stream error, unhandled, would kill
      // the process before the clean stop it was asked for. Kept after dispose: it stays gone.
      this.hungUp = true;
      for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
    }
    if (this.asked !== undefined) {
      if (Date.now() - this.at > 3000) process.exit(130);
      return;
    }
    this.asked = why;
    this.at = Date.now();
    this.wake?.(why);
  }

  /** Resolves with the reason once a stop is asked for (or after `afterMs`, when > 0). */
  wait(afterMs = 0): Promise<string> {
    if (this.asked !== undefined) return Promise.resolve(this.asked);
    if (afterMs > 0) setTimeout(() => this.ask('--run-for elapsed'), afterMs).unref();
    return new Promise((r) => (this.wake = r));
  }

  dispose(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.handler);
  }
}
