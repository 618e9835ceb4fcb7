/**
 * A small in-process control plane for the sync root's tests: the delta xDS reservation service
 * and the usage service over real gRPC (@grpc/grpc-js, loopback), with pass-through serializers
 * so a test can send any bytes (a malformed response, random garbage) and see exactly what the
 * filter sent. The production server is control-plane/distribute/.
 */
import * as grpc from '@grpc/grpc-js';
import {
  DELTA_PATH,
  DeltaRequestObj,
  DeltaResponseMsg,
  USAGE_PATH,
  UsageReportObj,
  decodeDeltaRequest,
  decodeUsageReport,
  encodeDeltaResponse,
  encodeUsageResponse,
} from './protos';

type Duplex = grpc.ServerDuplexStream<Buffer, Buffer>;
const raw = (b: Buffer): Buffer => b;

export class XdsStream {
  readonly requests: DeltaRequestObj[] = [];
  readonly rawRequests: Buffer[] = [];
  ended = false;
  private nonces = 0;

  constructor(
    readonly call: Duplex,
    readonly index: number,
  ) {
    call.on('data', (b: Buffer) => {
      this.rawRequests.push(b);
      this.requests.push(decodeDeltaRequest(b));
    });
    const done = () => {
      this.ended = true;
    };
    call.on('end', done);
    call.on('error', done);
    call.on('cancelled', done);
    call.on('close', done);
  }

  get metadata(): grpc.Metadata {
    return this.call.metadata;
  }

  /** Sends a response; returns its nonce. */
  send(m: DeltaResponseMsg): string {
    const nonce = m.nonce ?? `n${this.index}-${++this.nonces}`;
    this.call.write(encodeDeltaResponse({ ...m, nonce }));
    return nonce;
  }

  sendRaw(b: Buffer | Uint8Array): void {
    this.call.write(Buffer.from(b));
  }

  /** The requests that answered `nonce` (ACK or NACK). */
  answersTo(nonce: string): DeltaRequestObj[] {
    return this.requests.filter((r) => r.response_nonce === nonce);
  }

  /** Ends the stream with a gRPC status (UNAVAILABLE by default), as a restarting server would. */
  close(code = grpc.status.UNAVAILABLE): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit('error', { code, details: 'closed by test' });
  }
}

export class UsageStream {
  readonly reports: UsageReportObj[] = [];
  ended = false;

  constructor(
    readonly call: Duplex,
    autoAck: () => boolean,
  ) {
    call.on('data', (b: Buffer) => {
      const r = decodeUsageReport(b);
      this.reports.push(r);
      if (autoAck()) this.ack(r.sequence ?? 0);
    });
    const done = () => {
      this.ended = true;
    };
    call.on('end', done);
    call.on('error', done);
    call.on('close', done);
  }

  ack(sequence: number, reportIntervalMs = 0): void {
    this.call.write(encodeUsageResponse(sequence, reportIntervalMs));
  }

  close(code = grpc.status.UNAVAILABLE): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit('error', { code, details: 'closed by test' });
  }
}

export interface TestServerOptions {
  /** When set, calls without `authorization: Bearer <token>` end with UNAUTHENTICATED. */
  token?: string;
  /** Acknowledge every usage report at once (default true). */
  autoAckUsage?: boolean;
}

export class TestControlPlane {
  readonly streams: XdsStream[] = [];
  readonly usageStreams: UsageStream[] = [];
  readonly refused: grpc.Metadata[] = [];
  autoAckUsage: boolean;
  /** While set, every new call is refused with UNAVAILABLE (a control plane that is down). */
  autoRefuse = false;

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    readonly options: TestServerOptions,
  ) {
    this.autoAckUsage = options.autoAckUsage ?? true;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(options: TestServerOptions = {}): Promise<TestControlPlane> {
    const server = new grpc.Server();
    const ref: { plane?: TestControlPlane } = {};
    const method = (path: string) => ({
      path,
      requestStream: true,
      responseStream: true,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    });
    server.addService(
      { DeltaReservations: method(DELTA_PATH), StreamUsage: method(USAGE_PATH) } as grpc.ServiceDefinition,
      {
        DeltaReservations: (call: Duplex) => ref.plane!.accept(call, 'delta'),
        StreamUsage: (call: Duplex) => ref.plane!.accept(call, 'usage'),
      },
    );
    const port = await new Promise<number>((ok, fail) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? fail(err) : ok(p),
      ),
    );
    ref.plane = new TestControlPlane(server, port, options);
    return ref.plane;
  }

  private accept(call: Duplex, kind: 'delta' | 'usage'): void {
    if (this.autoRefuse) {
      if (kind === 'delta') this.refused.push(call.metadata);
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'down' });
      return;
    }
    const token = this.options.token;
    if (token !== undefined && call.metadata.get('authorization')[0] !== `Bearer ${token}`) {
      if (kind === 'delta') this.refused.push(call.metadata);
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'bad token' });
      return;
    }
    if (kind === 'delta') this.streams.push(new XdsStream(call, this.streams.length));
    else this.usageStreams.push(new UsageStream(call, () => this.autoAckUsage));
  }

  /** The latest reservation stream still open. */
  get current(): XdsStream | undefined {
    for (let i = this.streams.length - 1; i >= 0; i--) if (!this.streams[i].ended) return this.streams[i];
    return undefined;
  }

  /** Every usage report received, across streams. */
  get reports(): UsageReportObj[] {
    return this.usageStreams.flatMap((s) => s.reports);
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.close();
    for (const s of this.usageStreams) s.close();
    await new Promise<void>((ok) => this.server.tryShutdown(() => ok()));
    this.server.forceShutdown();
  }
}
