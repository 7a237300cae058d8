import { randomUUID } from 'node:crypto';
import { PayloadTooLargeException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { IMPORT_CONTENT_TYPES } from './modules/transactions/domain/import-lines';
import { appConfig, validateConfiguration } from './config/configuration';
import { lifecycle } from './common/lifecycle';
import { readBody, streamsBody } from './common/read-body';
import { createRootLogger, JsonLogger } from './common/logger';
import { ProblemFilter } from './common/problem.filter';
import { acceptCorrelationId, requestContext } from './common/request-context';
import { createValidationPipe } from './common/validation';
import { mountQueueDashboard } from './modules/async-tasks/queue-dashboard';

/** Builds the HTTP application exactly as production runs it; used by main, tests and scripts. */
export async function createApp(): Promise<NestFastifyApplication> {
  validateConfiguration();
  const config = appConfig();
  const rootLogger = createRootLogger(config.logLevel);

  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    trustProxy: true,
    genReqId: (req: { headers: Record<string, unknown> }) =>
      acceptCorrelationId(req.headers['x-correlation-id']) ?? randomUUID(),
    requestIdHeader: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
    logger: new JsonLogger(rootLogger.child({ component: 'nest' })),
    bufferLogs: false,
  });

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
