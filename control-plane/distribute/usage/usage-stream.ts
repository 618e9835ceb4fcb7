/**
 * One proxy's StreamUsage call. Reports are handled in arrival order, one at a time: decode, parse,
 * drop replays, write to the UsageSink, answer with the highest sequence durably accepted. A bad
 * report (undecodable, invalid, replayed) is counted and dropped with a log line and the stream
 * stays up; a sink failure leaves the sequence unacknowledged so the proxy sends it again. When the
 * sink falls behind, the stream stops reading (HTTP/2 flow control pushes back on the proxy).
 */
import type { Clock } from '../../domain/clock';
import type { UsageSink } from '../../domain/usage';
import type { DistributionCallbacks, StreamInfo } from '../callbacks';
import type { Logger } from '../logger';
import type { DistributionMetrics } from '../metrics';
import { decodeUsageReport } from '../codec/usage-report-codec';
import type { Codec } from '../protos';
import { Status } from '../transport/grpc-status';
import type { ServerCall } from '../transport/server-call';
import { parseUsageReport, type RawUsageReport, type UsageLimits } from './parse-usage-report';
import type { SequenceBook } from './sequence-book';

export interface UsageStreamHost {
  sink: UsageSink;
  book: SequenceBook;
  clock: Clock;
  logger: Logger;
  metrics: DistributionMetrics;
  callbacks: DistributionCallbacks;
  responseCodec: Codec<object>;
  limits: UsageLimits;
  /** Asked of proxies in every response (0 = keep their current interval). */
  reportIntervalMs: number;
  /** Reports buffered before the stream stops reading. */
  maxPending: number;
}

type Outcome = 'accepted' | 'malformed' | 'replay' | 'sink_error';

/** At most this many drop lines per stream per minute; the rest are counted and summarized. */
const LOG_BUDGET_PER_MINUTE = 10;

export class UsageStream {
  nodeId: string | undefined;
  private pending: Buffer[] = [];
  private running = false;
  private paused = false;
  private closed = false;
  private ending = false;
  private logWindowStart = 0;
  private logged = 0;
  private suppressed = 0;
  readonly counts: Record<Outcome, number> = { accepted: 0, malformed: 0, replay: 0, sink_error: 0 };

  constructor(
    readonly id: number,
    readonly call: ServerCall,
    private readonly host: UsageStreamHost,
    private readonly onClose: (s: UsageStream) => void,
  ) {
    call.on('message', (b) => this.enqueue(b));
    call.on('end', () => {
      // The proxy half-closed: finish what it sent, then end with OK.
      this.ending = true;
      if (!this.running) this.finish(Status.OK, '');
    });
    call.on('cancelled', () => this.finish(Status.CANCELLED, 'cancelled'));
    call.on('failed', (e) => this.finish(e.code, e.message));
    call.on('closed', (st) => this.finish(st?.code ?? Status.CANCELLED, st?.message ?? 'stream closed'));
  }

  info(): StreamInfo {
    return { streamId: this.id, nodeId: this.nodeId, peer: this.call.peer, service: 'usage' };
  }

  private enqueue(bytes: Buffer): void {
    this.pending.push(bytes);
    if (!this.paused && this.pending.length >= this.host.maxPending) {
      this.paused = true;
      this.call.pause();
    }
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        await this.handle(this.pending.shift()!);
        if (this.paused && this.pending.length <= this.host.maxPending / 2) {
          this.paused = false;
          this.call.resume();
        }
      }
    } finally {
      this.running = false;
      if (this.ending) this.finish(Status.OK, '');
    }
  }

  private async handle(bytes: Buffer): Promise<void> {
    const h = this.host;
    let raw: RawUsageReport;
    try {
      raw = decodeUsageReport(bytes);
    } catch (err) {
      return this.drop('malformed', undefined, 0, `undecodable UsageReport: ${(err as Error).message}`);
    }
    const parsed = parseUsageReport(raw, h.clock.now(), this.nodeId, h.limits);
    const seqHint = Number(raw.sequence ?? 0) || 0;
    if (!parsed.ok) return this.drop('malformed', raw.nodeId, seqHint, parsed.error);
    const report = parsed.value;
    this.nodeId ??= report.nodeId;
    if (!h.book.claim(report.nodeId, report.sequence)) {
      const last = h.book.accepted(report.nodeId);
      return this.drop(
        'replay',
        report.nodeId,
        report.sequence,
        `sequence ${report.sequence} is not above ${last}`,
      );
    }
    try {
      await h.sink.writeUsage(report);
    } catch (err) {
      h.book.release(report.nodeId, report.sequence);
      return this.drop(
        'sink_error',
        report.nodeId,
        report.sequence,
        `usage store refused the report: ${(err as Error).message}`,
      );
    }
    h.book.commit(report.nodeId, report.sequence, h.clock.now());
    this.counts.accepted++;
    h.metrics.usageReports.inc({ outcome: 'accepted' });
    h.metrics.usageUsers.inc(report.users.length);
    h.callbacks.onUsageReport?.(this.info(), {
      sequence: report.sequence,
      users: report.users.length,
      outcome: 'accepted',
    });
    this.respond();
  }

  private drop(
    outcome: Exclude<Outcome, 'accepted'>,
    nodeId: string | undefined,
    sequence: number,
    reason: string,
  ): void {
    this.counts[outcome]++;
    this.host.metrics.usageReports.inc({ outcome });
    this.host.callbacks.onUsageReport?.(this.info(), { sequence, users: 0, outcome, reason });
    this.logDrop(outcome, nodeId, sequence, reason);
    this.respond(nodeId);
  }

  private logDrop(outcome: string, nodeId: string | undefined, sequence: number, reason: string): void {
    const now = this.host.clock.now();
    if (now - this.logWindowStart >= 60_000) {
      if (this.suppressed > 0) {
        this.host.logger.warn('usage reports dropped without a log line', {
          peer: this.call.peer,
          count: this.suppressed,
        });
      }
      this.logWindowStart = now;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged++ < LOG_BUDGET_PER_MINUTE) {
      const level = outcome === 'replay' ? 'info' : 'warn';
      this.host.logger[level](`usage report dropped (${outcome})`, {
        node: nodeId ?? this.nodeId,
        peer: this.call.peer,
        sequence,
        reason,
      });
    } else this.suppressed++;
  }

  /** Tells the proxy how far the store has it (also after a drop, so it never waits on a lost ACK). */
  private respond(nodeId = this.nodeId): void {
    // A proxy that does not read its ACKs gets no more of them (the next one carries the latest anyway).
    if (this.closed || this.call.isEnded || this.call.writableLength > 1 << 20) return;
    const acked = nodeId ? this.host.book.accepted(nodeId) : 0;
    const payload = this.host.responseCodec.serialize({
      ackedSequence: String(acked),
      reportIntervalMs: this.host.reportIntervalMs,
    });
    this.call.write(payload, false);
  }

  private finish(code: number, message: string): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.call.isEnded) this.call.end(code as never, message);
    this.onClose(this);
  }
}
