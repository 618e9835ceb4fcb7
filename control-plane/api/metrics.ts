/** Prometheus metrics of the HTTP API, registered on the registry the service passes in. */
import { Counter, Histogram, type Registry } from 'prom-client';

export class ApiMetrics {
  readonly requests: Counter<'operation' | 'method' | 'status'>;
  readonly duration: Histogram<'operation'>;
  readonly errors: Counter<'code'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'earmark_api_requests_total',
      help: 'HTTP API requests by operationId (or "unmatched"), method and status.',
      labelNames: ['operation', 'method', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'earmark_api_request_duration_seconds',
      help: 'HTTP API time from request to response, by operationId.',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.errors = new Counter({
      name: 'earmark_api_errors_total',
      help: 'HTTP API error responses by stable error code.',
      labelNames: ['code'],
      registers,
    });
  }

  observe(operation: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ operation, method, status: String(status) });
    this.duration.observe({ operation }, seconds);
  }
}
