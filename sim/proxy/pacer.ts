/**
 * Drives a SimClock at `speed` times real time (the demo: --speed 30 is one simulated minute every
 * 2 s; 1 is real time). One loop advances the clock in small real-time steps, awaiting each advance,
 * so timers fire in order and never concurrently. When the machine cannot keep up, simulated time
 * lags rather than skips: `lagMs` says by how much.
 */
import type { SimClock } from '../../control-plane/domain/clock';

export class Pacer {
  private running = false;
  private loop: Promise<void> | undefined;
  private realStart = 0;
  private simStart = 0;
  /** How far simulated time is behind where the speed says it should be. */
  lagMs = 0;

  constructor(
    readonly clock: SimClock,
    readonly speed: number,
    /** Real milliseconds between advances (default 20). */
    private readonly stepRealMs = 20,
    /** Most simulated time one advance may cover, so a stall is not followed by one huge jump. */
    private readonly maxStepMs = 5000,
  ) {
    if (!(speed > 0)) throw new Error(`speed must be > 0, got ${speed}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.realStart = Date.now();
    this.simStart = this.clock.now();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const target = this.simStart + (Date.now() - this.realStart) * this.speed;
      const next = Math.min(target, this.clock.now() + this.maxStepMs);
      if (next > this.clock.now()) await this.clock.advanceTo(next);
      this.lagMs = Math.max(0, target - this.clock.now());
      // Lagging too far behind: re-anchor, so the demo slows down instead of racing to catch up.
      if (this.lagMs > 10 * this.maxStepMs) {
        this.realStart = Date.now();
        this.simStart = this.clock.now();
      }
      await new Promise((r) => setTimeout(r, this.stepRealMs));
    }
  }

  /** Stops advancing (after the advance in progress). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
