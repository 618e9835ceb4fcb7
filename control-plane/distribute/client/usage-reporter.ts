/**
 * The reference client of StreamUsage: sends UsageReports (what the filter's sync root forwards)
 * and tracks the acked_sequence the control plane answers with. Used by tests, the demo's emulated
 * proxies and benchmarks. `sendRaw` sends arbitrary bytes, to exercise the server's validation.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { UsageReport } from '../../domain/usage';
import { STREAM_USAGE_PATH, usageReportCodec, usageResponseCodec } from '../protos';

export interface UsageReporterOptions {
  address: string;
  token?: string;
  credentials?: grpc.ChannelCredentials;
}

interface UsageAck {
  ackedSequence?: string;
  reportIntervalMs?: number;
}

export class UsageReporter extends EventEmitter<{
  ack: [sequence: number];
  end: [status: grpc.StatusObject];
}> {
  /** Highest sequence the control plane has durably accepted, as last reported. */
  acked = 0;
  acks = 0;
  reportIntervalMs = 0;
  status: grpc.StatusObject | undefined;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<object | Buffer, UsageAck>;

  constructor(opts: UsageReporterOptions) {
    super();
    this.client = new grpc.Client(opts.address, opts.credentials ?? grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (opts.token !== undefined) md.set('authorization', `Bearer ${opts.token}`);
    const req = usageReportCodec<object>();
    const resp = usageResponseCodec<UsageAck>();
    this.call = this.client.makeBidiStreamRequest(
      STREAM_USAGE_PATH,
      (m: object | Buffer) => (Buffer.isBuffer(m) ? m : req.serialize(m)),
      resp.deserialize,
      md,
    );
    this.call.on('data', (a: UsageAck) => {
      this.acks++;
      this.acked = Number(a.ackedSequence ?? 0);
      if (a.reportIntervalMs) this.reportIntervalMs = a.reportIntervalMs;
      this.emit('ack', this.acked);
    });
    const end = (s: grpc.StatusObject) => {
      if (this.status) return;
      this.status = s;
      this.emit('end', s);
    };
    this.call.on('status', end);
    this.call.on('error', (e: grpc.ServiceError) =>
      end({ code: e.code, details: e.details, metadata: e.metadata }),
    );
  }

  send(report: UsageReport): void {
    this.call.write(report);
  }

  /** Bytes or a loosely typed object, sent as they are (for tests of the server's validation). */
  sendRaw(message: Buffer | object): void {
    this.call.write(message);
  }

  /** Resolves after `n` more acknowledgements. */
  nextAcks(n = 1, timeoutMs = 10_000): Promise<void> {
    const target = this.acks + n;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no acknowledgement within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const on = () => {
        if (this.acks < target) return;
        clearTimeout(timer);
        this.off('ack', on);
        resolve();
      };
      this.on('ack', on);
    });
  }

  close(): void {
    this.call.end();
    this.client.close();
  }
}
