import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { register } from 'prom-client';
import { appConfig, type AppConfig, metricsConfig, type MetricsConfig } from '../../config/configuration';
import { internalRegistry } from './metrics';
import { ScrapeCollectors } from './scrape-collectors';

/** Who reads a scrape: anyone who reaches the public port, or Prometheus on the metrics port. */
export type MetricsAudience = 'public' | 'internal';

/** One scrape: the collectors first, then the text format; money totals only for the metrics port. */
export async function renderMetrics(collectors: ScrapeCollectors, audience: MetricsAudience): Promise<string> {
  await collectors.collect();
  const text = await register.metrics();
  return audience === 'internal' ? text + (await internalRegistry.metrics()) : text;
}

/**
 * A bare `GET /metrics` on a port of its own, with everything (money totals included), for
 * Prometheus on the internal network: never put it behind the public Service or Ingress.
 * The API process serves it on METRICS_PORT (then its public port answers /metrics with 404);
 * the worker process, which has no HTTP API, on WORKER_METRICS_PORT.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly collectors: ScrapeCollectors,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // METRICS_PORT beside an HTTP API; WORKER_METRICS_PORT in the worker process, which has none.
    const port = this.adapterHost.httpAdapter ? this.config.port : this.config.workerPort;
    if (!port) return;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      renderMetrics(this.collectors, 'internal').then(
        (body) => res.writeHead(200, { 'content-type': register.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.app.host, resolve);
    });
    // Never what keeps the process alive: closing the application ends it.
    server.unref();
    this.server = server;
    this.logger.log(`metrics on port ${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
