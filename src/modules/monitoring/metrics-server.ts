import { createServer, type Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { register } from 'prom-client';
import { ScrapeCollectors } from './scrape-collectors';

/**
 * A bare `GET /metrics` for the worker process, which has no HTTP API: without it the metrics of
 * the tasks it runs (durations, failures, dead letters) would be seen by no one.
 */
export async function serveMetrics(app: INestApplicationContext, port: number, host: string): Promise<Server> {
  const collectors = app.get(ScrapeCollectors);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    collectors
      .collect()
      .then(() => register.metrics())
      .then(
        (body) => res.writeHead(200, { 'content-type': register.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  // Never what keeps the process alive: closing the application ends it.
  server.unref();
  return server;
}
