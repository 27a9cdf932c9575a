import { Registry, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one gateway process (GET /metrics). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'cdp_graphql_requests_total', help: 'GraphQL requests by consumer and operation type',
    labelNames: ['consumer', 'operation'] as const, registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'cdp_graphql_errors_total', help: 'GraphQL errors by consumer and code',
    labelNames: ['consumer', 'code'] as const, registers: [this.registry],
  });
  readonly cost = new Counter({
    name: 'cdp_graphql_cost_points_total', help: 'Query cost points spent by consumer',
    labelNames: ['consumer'] as const, registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'cdp_graphql_request_duration_seconds', help: 'GraphQL request latency by consumer',
    labelNames: ['consumer'] as const, registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  readonly http = new Counter({
    name: 'cdp_http_requests_total', help: 'HTTP requests by path and status',
    labelNames: ['path', 'status'] as const, registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cdp_' });
  }
}
