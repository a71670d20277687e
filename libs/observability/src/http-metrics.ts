import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';

/** Route label of a request no route matched: the raw path would give every scanner's probe its own series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Bucket bounds in seconds. Finer than prom-client's defaults below 10 ms, where
 * cached reads live, and with 0.1 and 0.5 as bounds because the KPIs are "p95
 * under 100 ms for reads" and "p95 under 500 ms"; histogram_quantile is exact at
 * a bucket bound and interpolated between.
 */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const HTTP_REQUESTS_TOTAL = 'http_requests_total';
export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: new Counter({
      name: HTTP_REQUESTS_TOTAL,
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: HTTP_REQUEST_DURATION,
      help: 'Time from request received to response sent, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}

/** Counts and times every response; the route is Fastify's template (/forms/:id), never the path. */
export function instrumentFastify(fastify: FastifyInstance, metrics: HttpMetrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status: String(reply.statusCode),
    };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
