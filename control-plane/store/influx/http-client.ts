/**
 * A small InfluxDB 1.x HTTP client: /ping, /write (line protocol) and /query (InfluxQL, epoch ms).
 * Raw HTTP with a keep-alive agent rather than the `influx` package: the writer already has
 * formatted lines, and skipping the package's point objects measured faster (see README).
 */
import * as http from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ChunkLines, seriesOfChunk } from './chunked-query';

/** InfluxDB did not answer (refused, reset, timed out): retry later; nothing was lost. */
export class InfluxUnreachableError extends Error {
  constructor(
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(`InfluxDB at ${url} is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** InfluxDB answered with an error status; `retriable` is false when a retry cannot succeed. */
export class InfluxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retriable: boolean,
    what: string,
  ) {
    super(`InfluxDB ${what} failed with HTTP ${status}: ${body.trim().slice(0, 500)}`);
  }
}

/** A statement inside a /query answered with an error (bad InfluxQL, unknown database, ...). */
export class InfluxQueryError extends Error {
  constructor(
    readonly query: string,
    message: string,
  ) {
    super(`InfluxQL error: ${message} (query: ${query.slice(0, 300)})`);
  }
}

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface StatementResult {
  series: Series[];
}

export interface InfluxHttpOptions {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  requestTimeoutMs?: number;
}

export class InfluxHttp {
  readonly url: string;
  private readonly host: string;
  private readonly port: number;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  /**
   * /ping has its own socket: behind 16 slow queries it would wait for a free one and a busy but
   * healthy InfluxDB would look hung to readiness and to the API's store watchdog (api/state).
   */
  private readonly pingAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly timeoutMs: number;

  constructor(opts: InfluxHttpOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:') throw new Error(`InfluxDB URL must be http://host:port, got ${opts.url}`);
    this.url = u.origin;
    this.host = u.hostname;
    this.port = Number(u.port || 8086);
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  async ping(timeoutMs = 2000): Promise<boolean> {
    try {
      const r = await this.request('GET', '/ping', undefined, timeoutMs, undefined, this.pingAgent);
      return r.status === 204;
    } catch {
      return false;
    }
  }

  /** POST line protocol (millisecond precision). Resolves on 204; throws the typed errors above. */
  async write(db: string, rp: string, body: string | Buffer): Promise<void> {
    const path = `/write?db=${encodeURIComponent(db)}&rp=${encodeURIComponent(rp)}&precision=ms`;
    const r = await this.request('POST', path, body, this.timeoutMs);
    if (r.status === 204) return;
    // 400: unparsable or partially rejected points (type conflict, beyond retention): retrying
    // cannot help. 404 (database missing) and 5xx may heal once the schema is created or load drops.
    throw new InfluxHttpError(r.status, r.body, r.status === 404 || r.status >= 500, 'write');
  }

  /** Runs one or more InfluxQL statements (';'-separated); returns one result per statement. */
  async query(q: string, db?: string): Promise<StatementResult[]> {
    const form = new URLSearchParams({ q, epoch: 'ms' });
    if (db) form.set('db', db);
    const r = await this.request(
      'POST',
      '/query',
      form.toString(),
      this.timeoutMs,
      'application/x-www-form-urlencoded',
    );
    if (r.status !== 200) throw new InfluxHttpError(r.status, r.body, r.status >= 500, 'query');
    const parsed = JSON.parse(r.body) as {
      error?: string;
      results?: { error?: string; series?: Series[] }[];
    };
    if (parsed.error) throw new InfluxQueryError(q, parsed.error);
    return (parsed.results ?? []).map((res) => {
      if (res.error) throw new InfluxQueryError(q, res.error);
      // Empty series (e.g. a database without continuous queries) come without `values`.
      return { series: (res.series ?? []).map((x) => ({ ...x, values: x.values ?? [] })) };
    });
  }

  /**
   * Runs one statement with a chunked response (chunked-query.ts): `onSeries` gets each chunk's
   * series as it is parsed, with a turn of the event loop after each chunk; the socket is not read
   * meanwhile, so a slow consumer holds InfluxDB back instead of buffering the result.
   */
  queryChunked(
    q: string,
    db: string | undefined,
    chunkRows: number,
    onSeries: (s: Series) => void,
  ): Promise<void> {
    const form = new URLSearchParams({ q, epoch: 'ms', chunked: 'true', chunk_size: String(chunkRows) });
    if (db) form.set('db', db);
    const body = Buffer.from(form.toString(), 'utf8');
    return new Promise((resolve, reject) => {
      const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length };
      const req = http.request(
        { host: this.host, port: this.port, path: '/query', method: 'POST', headers, agent: this.agent },
        (res) => {
          let consumerError: unknown;
          void (async () => {
            if (res.statusCode !== 200) {
              const chunks: Buffer[] = [];
              for await (const c of res) chunks.push(c as Buffer);
              const text = Buffer.concat(chunks).toString('utf8');
              throw new InfluxHttpError(res.statusCode ?? 0, text, (res.statusCode ?? 0) >= 500, 'query');
            }
            const lines = new ChunkLines();
            const take = (line: string): void => {
              const got = seriesOfChunk(line);
              if ('error' in got) throw new InfluxQueryError(q, got.error);
              try {
                for (const s of got) onSeries(s);
              } catch (e) {
                consumerError = e; // the caller's own error, passed on as it is
                throw e;
              }
            };
            for await (const c of res) {
              for (const line of lines.push(c as Buffer)) {
                take(line);
                await nextTurn();
              }
            }
            if (!res.complete) throw new Error('the response ended early');
            const rest = lines.rest();
            if (rest) take(rest);
          })().then(resolve, (e: unknown) => {
            req.destroy();
            reject(
              e === consumerError || e instanceof InfluxQueryError || e instanceof InfluxHttpError
                ? e
                : new InfluxUnreachableError(this.url, e),
            );
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new InfluxUnreachableError(this.url, e)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
    this.pingAgent.destroy();
  }

  private request(
    method: string,
    path: string,
    body: string | Buffer | undefined,
    timeoutMs: number,
    contentType = 'text/plain; charset=utf-8',
    agent = this.agent,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      const buf = body === undefined || Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      if (buf) {
        headers['content-type'] = contentType;
        headers['content-length'] = buf.length;
      }
      const req = http.request({ host: this.host, port: this.port, path, method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (e) => reject(new InfluxUnreachableError(this.url, e)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(new InfluxUnreachableError(this.url, e)));
      req.end(buf);
    });
  }
}
