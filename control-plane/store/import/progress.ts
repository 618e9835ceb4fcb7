/**
 * A progress bar for long imports. On a terminal it redraws one line (at most ~10 times a second);
 * elsewhere (CI logs, pipes) it prints a plain line at each quarter, so logs stay readable.
 */
export interface ProgressOptions {
  /** Where to draw; default process.stderr (stdout stays for the summary). */
  stream?: NodeJS.WriteStream;
  /** Force on (true) or off (false); default: on when the stream is a TTY, quarters otherwise. */
  tty?: boolean;
  enabled?: boolean;
  label: string;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private lastDraw = 0;
  private lastQuarter = -1;
  private readonly started = Date.now();

  constructor(
    private readonly total: number,
    private readonly o: ProgressOptions,
  ) {
    this.stream = o.stream ?? process.stderr;
    this.tty = o.tty ?? !!this.stream.isTTY;
  }

  update(done: number, points: number): void {
    if (this.o.enabled === false || this.total <= 0) return;
    const frac = Math.min(1, done / this.total);
    const now = Date.now();
    const rate = points / Math.max(0.001, (now - this.started) / 1000);
    const text = `${this.o.label} ${(frac * 100).toFixed(0).padStart(3)}%  ${points.toLocaleString('en-US')} points  ${Math.round(rate).toLocaleString('en-US')}/s`;
    if (this.tty) {
      if (now - this.lastDraw < 100 && frac < 1) return;
      this.lastDraw = now;
      const width = 30;
      const full = Math.round(frac * width);
      this.stream.write(`\r[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${text}\x1b[K`);
    } else {
      const q = Math.floor(frac * 4);
      if (q <= this.lastQuarter) return;
      this.lastQuarter = q;
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  done(): void {
    if (this.o.enabled !== false && this.tty && this.lastDraw > 0) this.stream.write('\n');
  }
}
