import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { metricsConfig, type MetricsConfig } from '../../config/configuration';
import { httpRequestDuration, httpRequests } from './metrics';

/** The `route` label of a request that matched no route: one value, whatever the URL, so cardinality stays bounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The path Prometheus scrapes; its own requests are not counted. */
const METRICS_ROUTE = '/metrics';

/** The route label: the template a request matched (`/v1/accounts/:id`), never its raw URL. */
export function routeLabel(template: string | undefined): string {
  return template || UNMATCHED_ROUTE;
}

/**
 * Counts and times every HTTP answer (`alluse_http_requests_total`,
 * `alluse_http_request_duration_seconds`) by method, route template and status.
 *
 * A Fastify `onResponse` hook rather than a Nest interceptor: an interceptor runs after the guards
 * and only for matched routes, so it would never see the 401, 403 and 429 answers of the global
 * AuthGuard and RateLimitGuard, nor the 404s of unknown URLs. The hook sees every answer, with
 * Fastify's own timing (`reply.elapsedTime`), and costs one label object per request.
 *
 * Off when METRICS_ENABLED=false, and absent in the worker process (no HTTP server).
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  /** Before the server is ready: Fastify refuses hooks added after that. */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!this.config.enabled || !adapter) return;
    adapter.getInstance<FastifyInstance>().addHook('onResponse', countResponse);
  }
}

/** The hook: exported for the benchmark, which times it alone (scripts/bench-metrics.js). */
export function countResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const route = routeLabel(request.routeOptions.url);
  if (route !== METRICS_ROUTE) {
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  }
  done();
}
