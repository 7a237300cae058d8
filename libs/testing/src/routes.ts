import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** `<METHOD> <path>` in Fastify's syntax: `GET /v1/accounts/:id`, `GET /docs/*`. */
export type RouteKey = string;

const LINE = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/;

/**
 * Every route the running application serves, read from Fastify's router: Nest's controllers,
 * Swagger UI and the plugins mounted beside them. HEAD is left out where it is Fastify's automatic
 * twin of a GET (same handler, same hooks, same guards).
 */
export function routeTable(app: NestFastifyApplication): RouteKey[] {
  const printed = app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
  const prefixes: string[] = [];
  const routes = new Set<RouteKey>();
  for (const line of printed.split('\n')) {
    if (!line.trim()) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`unexpected line in Fastify's route list: ${JSON.stringify(line)}`);
    const depth = match[1].length / 4;
    const path = (prefixes[depth - 1] ?? '') + match[2];
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    const methods = match[3]?.split(', ') ?? [];
    for (const method of methods) {
      if (method === 'HEAD' && methods.includes('GET')) continue;
      routes.add(`${method} ${path}`);
    }
  }
  return [...routes].sort();
}
