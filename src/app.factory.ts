import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastifyCors } from '@fastify/cors';
import { Logger, PayloadTooLargeException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { IMPORT_CONTENT_TYPES } from './modules/transactions/domain/import-lines';
import { appConfig, type AppConfig, validateConfiguration } from './config/configuration';
import { lifecycle } from './common/lifecycle';
import { readBody, streamsBody } from './common/read-body';
import { createRootLogger, JsonLogger } from './common/logger';
import { answerClientError } from './common/client-error';
import { ProblemFilter, sendProblem } from './common/problem.filter';
import { acceptCorrelationId, requestContext } from './common/request-context';
import { createValidationPipe } from './common/validation';
import { mountQueueDashboard } from './modules/async-tasks/queue-dashboard';

/** Builds the HTTP application exactly as production runs it; used by main, tests and scripts. */
export async function createApp(): Promise<NestFastifyApplication> {
  validateConfiguration();
  const config = appConfig();
  const rootLogger = createRootLogger(config.logLevel);
  const routerLog = new Logger('Router');

  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Off unless TRUST_PROXY names the proxies: otherwise any client could pick its address
    // (X-Forwarded-For) for the per-address limits and the audit log.
    trustProxy: config.trustProxy,
    genReqId: (req: { headers: Record<string, unknown> }) =>
      acceptCorrelationId(req.headers['x-correlation-id']) ?? randomUUID(),
    requestIdHeader: false,
    // A URL the router cannot decode, or a path parameter over its length limit, is refused before
    // any hook or route runs: answer it as a problem too, with the correlation id.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('x-correlation-id', request.id);
      sendProblem(request, reply, error, routerLog);
    },
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    logger: new JsonLogger(rootLogger.child({ component: 'nest' })),
    bufferLogs: false,
  });

  // First, so that every route registered after them (the queue dashboard's included) gets their headers.
  await registerBrowserDefences(app, config);

  const fastify = app.getHttpAdapter().getInstance();
  // Imports arrive as text (CSV or JSON lines) and may be far larger than a JSON request body: the
  // import route gets the stream unread and reads it itself, after authentication. Any other route
  // reads these types as text within the usual body limit.
  fastify.addContentTypeParser(Object.keys(IMPORT_CONTENT_TYPES), (request, payload, done) => {
    if (streamsBody(request)) return done(null, payload);
    const limit = config.bodyLimitBytes;
    const pieces: Buffer[] = [];
    const options = {
      limitBytes: limit,
      pieceBytes: limit,
      declaredBytes: request.headers['content-length'],
      tooLarge: () => new PayloadTooLargeException(),
    };
    readBody(payload, options, (piece) => pieces.push(piece)).then(
      () => done(null, Buffer.concat(pieces).toString('utf8')),
      (error: Error) => done(error),
    );
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-correlation-id', request.id);
    requestContext.run({ correlationId: String(request.id), ip: request.ip }, done);
  });
  // While shutting down, answers ask the client to close its connection: a kept-alive socket
  // would otherwise hold the server open after its last request.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (lifecycle.closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  const httpLog = rootLogger.child({ component: 'http' });
  fastify.addHook('onResponse', (request, reply, done) => {
    httpLog.info(
      {
        correlationId: request.id,
        method: request.method,
        route: request.routeOptions?.url ?? 'unmatched',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
    done();
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  mountQueueDashboard(app);

  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}

/**
 * What browsers are told: helmet's security headers on every answer, with a Content-Security-Policy
 * that Swagger UI (/docs) and bull-board (/admin/queues) work under, and CORS for the origins in
 * CORS_ORIGINS only (none by default: no CORS headers at all).
 */
async function registerBrowserDefences(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const headers = securityHeaders();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      void reply.headers(headers);
      done();
    });
  if (!config.corsOrigins.length) return;
  await app.register(fastifyCors, {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    credentials: config.corsCredentials,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-none-match', 'x-correlation-id'],
    exposedHeaders: ['x-correlation-id', 'retry-after', 'etag', 'x-cache', 'location'],
    maxAge: 600,
  });
}

/**
 * The headers helmet sets, worked out once: they are the same for every answer (no nonces, no
 * per-request directives). @fastify/helmet builds helmet's middleware anew on each request, which
 * measured here halves the throughput of a trivial GET.
 */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    removeHeader: () => undefined,
  };
  helmet({
    contentSecurityPolicy: {
      // helmet's defaults (scripts from this origin only, inline styles, data: images, https fonts
      // and style sheets: what both UIs load), never framed, and without upgrade-insecure-requests,
      // which would break the pages on plain http (npm run dev).
      directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null },
    },
  })({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('ALL-USE Account Management')
    .setDescription(
      'System of record for ALL-USE portfolios: Generation, Revenue and Compounding accounts moved by an exact ' +
        'double-entry ledger. Amounts are decimal strings with two decimals (USD). Errors are RFC 9457 problem ' +
        'documents with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key issued by POST /v1/users/{id}/api-keys' })
    .build();
  return SwaggerModule.createDocument(app, config);
}
