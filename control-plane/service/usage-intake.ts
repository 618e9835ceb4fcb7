/**
 * The distribution server's usage sink as the service wires it: reports go to the top-up (which
 * passes them to the store), and the writes still in progress are tracked, so stop() can wait for
 * the last reports proxies sent on their way out before the store closes.
 */
import type { UsageReport, UsageSink } from '../domain/usage';

export class UsageIntake implements UsageSink {
  private inFlight = 0;
  private lastAtMs = 0;
  target: UsageSink | undefined;

  writeUsage(report: UsageReport): Promise<void> {
    if (!this.target) return Promise.reject(new Error('usage intake is not wired yet'));
    this.inFlight++;
    this.lastAtMs = Date.now();
    return Promise.resolve()
      .then(() => this.target!.writeUsage(report))
      .finally(() => {
        this.inFlight--;
        this.lastAtMs = Date.now();
      });
  }

  /** Resolves once no write is in progress and none came for `quietMs` (real time), or after `maxMs`. */
  async quiet(quietMs = 200, maxMs = 5000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && (this.inFlight > 0 || Date.now() - this.lastAtMs < quietMs))
      await new Promise((r) => setTimeout(r, 20));
  }
}
