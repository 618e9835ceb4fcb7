/** Start-up gate: InfluxDB must answer /ping, or the start fails with a message saying what to do. */

export class InfluxUnavailableAtStartError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(
      `InfluxDB at ${url} does not answer (${reason}). Start it (npm run influx:start) or point ` +
        '--influx-url / EARMARK_INFLUX_URL at a running InfluxDB 1.x.',
    );
    this.name = 'InfluxUnavailableAtStartError';
  }
}

/** undefined when InfluxDB answers /ping with 204; otherwise what went wrong. */
export async function pingOnce(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204 ? undefined : `/ping answered HTTP ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err as Error).message;
  }
}

/** Pings until InfluxDB answers or `waitMs` (real time) has passed. */
export async function waitForInflux(url: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const problem = await pingOnce(url);
    if (problem === undefined) return;
    if (Date.now() >= deadline) throw new InfluxUnavailableAtStartError(url, problem);
    await new Promise((r) => setTimeout(r, 250));
  }
}
