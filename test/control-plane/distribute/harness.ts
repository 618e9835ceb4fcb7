/**
 * Loopback fixtures for distribute/ tests: a real DistributionServer on a free port and reference
 * clients on real @grpc/grpc-js or on our node:http2 client transport (the Harness's transport),
 * all torn down by `cleanup()` in afterEach.
 */
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { UsageReport, UsageSink } from '../../../control-plane/domain/usage';
import {
  ReservationClient,
  type ReservationClientOptions,
} from '../../../control-plane/distribute/client/reservation-client';
import { MemoryLogger } from '../../../control-plane/distribute/logger';
import {
  DistributionServer,
  type DistributionServerOptions,
} from '../../../control-plane/distribute/server/distribution-server';

export const TOKEN = 'test-token-0123456789';

export type ClientTransport = NonNullable<ReservationClientOptions['transport']>;
/** Protocol tests run once per client transport: `for (const t of CLIENT_TRANSPORTS) describe(...)`. */
export const CLIENT_TRANSPORTS: readonly ClientTransport[] = ['grpc-js', 'http2'];

export class RecordingSink implements UsageSink {
  readonly reports: UsageReport[] = [];
  failNext = 0;
  writeUsage(report: UsageReport): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('store unavailable');
    }
    this.reports.push(report);
  }
}

export class Harness {
  readonly logger = new MemoryLogger();
  registry = new Registry();
  sink = new RecordingSink();
  server!: DistributionServer;
  address = '';
  private clients: ReservationClient[] = [];
  private servers: DistributionServer[] = [];

  constructor(readonly transport: ClientTransport = 'grpc-js') {}

  /** Starts a server; `samePort` reuses the previous server's port (a restart the clients reconnect to). */
  async start(opts: Partial<DistributionServerOptions> = {}, samePort = false): Promise<DistributionServer> {
    this.registry = new Registry();
    if (!samePort) this.sink = new RecordingSink();
    this.server = new DistributionServer({
      auth: { tokens: [TOKEN] },
      logger: this.logger,
      registry: this.registry,
      usageSink: this.sink,
      ...opts,
    });
    this.servers.push(this.server);
    const { port } = await this.server.start({ port: samePort ? Number(this.address.split(':')[1]) : 0 });
    this.address = `127.0.0.1:${port}`;
    return this.server;
  }

  client(nodeId: string, opts: Partial<ReservationClientOptions> = {}): ReservationClient {
    const c = new ReservationClient({
      address: this.address,
      nodeId,
      token: TOKEN,
      reconnect: { initialMs: 50, maxMs: 200 },
      transport: this.transport,
      ...opts,
    });
    this.clients.push(c);
    return c.start();
  }

  /** Client options that trust `caPem` and expect the name localhost, in this transport's terms. */
  tlsOptions(caPem: Buffer): Partial<ReservationClientOptions> {
    return this.transport === 'http2'
      ? { tls: { ca: caPem, servername: 'localhost' }, authority: 'localhost' }
      : {
          credentials: grpc.credentials.createSsl(caPem),
          channelOptions: {
            'grpc.ssl_target_name_override': 'localhost',
            'grpc.default_authority': 'localhost',
          },
        };
  }

  async cleanup(): Promise<void> {
    for (const c of this.clients) c.stop();
    for (const s of this.servers) await s.stop(100).catch(() => undefined);
    this.clients = [];
    this.servers = [];
    this.address = '';
  }
}

/** Polls `predicate` every 10 ms until it holds; fails with `what` after timeoutMs (never asserts on time). */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
