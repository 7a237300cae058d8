import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorKind } from '@app/errors';
import { databaseUnavailable, isDatabaseUnavailable } from '../database/database.errors';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

/** Codes for errors raised by the framework rather than by our own code. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
  429: 'RATE_LIMITED',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  correlationId: string;
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:alluse:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Turns any error into an RFC 9457 problem. Anything unexpected becomes an opaque 500. */
export function toProblem(error: unknown, correlationId: string): Problem {
  if (error instanceof AppError) {
    const status = STATUS_BY_KIND[error.kind];
    return {
      // Extensions first: they can never overwrite a member the RFC or our clients rely on.
      ...error.extra,
      type: problemType(error.code),
      title: HttpStatus[status]?.replace(/_/g, ' ').toLowerCase() ?? 'error',
      status,
      detail: error.message,
      code: error.code,
      correlationId,
    };
  }
  const status = statusOf(error);
  if (status === 503 && error instanceof HttpException) {
    // A failed readiness check: say which dependency is down (names and states only).
    const body = error.getResponse() as { details?: unknown };
    return {
      type: problemType('NOT_READY'),
      title: 'service unavailable',
      status,
      detail: 'A dependency of the service is not available.',
      code: 'NOT_READY',
      correlationId,
      checks: body?.details,
    };
  }
  if (status !== undefined && status < 500) {
    const code = error instanceof ThrottlerException ? 'RATE_LIMITED' : (CODE_BY_STATUS[status] ?? 'BAD_REQUEST');
    return {
      type: problemType(code),
      title: HttpStatus[status]?.replace(/_/g, ' ').toLowerCase() ?? 'error',
      status,
      detail: publicDetail(error, status),
      code,
      correlationId,
    };
  }
  return {
    type: problemType('INTERNAL_ERROR'),
    title: 'internal server error',
    status: 500,
    detail: 'An unexpected error occurred. Quote the correlation id when reporting it.',
    code: 'INTERNAL_ERROR',
    correlationId,
  };
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

function publicDetail(error: unknown, status: number): string {
  if (status === 413) return 'The request body is larger than the service accepts (1 MB).';
  if (status === 414) return 'A parameter in the path is longer than the service accepts.';
  if ((error as { code?: unknown }).code === 'FST_ERR_BAD_URL') return 'The path is not valid percent-encoded UTF-8.';
  if (status === 429) return 'Too many requests for this API key; retry after the delay in Retry-After.';
  if (status === 404) return 'No such route.';
  // Fastify's own 4xx messages (malformed JSON, bad content type) are safe and useful to show.
  return error instanceof Error ? error.message : 'Bad request.';
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost) {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    sendProblem(request, reply, error, this.logger);
  }
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  logger: Pick<Logger, 'error' | 'warn'>,
) {
  // A lost database is a state the client can wait out (retrying with its Idempotency-Key), not a bug.
  if (isDatabaseUnavailable(error)) error = databaseUnavailable();
  const problem = toProblem(error, String(request.id));
  if (typeof problem.retryAfterSeconds === 'number')
    void reply.header('retry-after', String(problem.retryAfterSeconds));
  // A 5xx the service chose (backpressure, a receiver not configured) is a state to note, not a bug:
  // its code and message say it all. Anything else is unexpected and keeps its stack.
  if (problem.status >= 500 && error instanceof AppError) logger.warn(`${error.code}: ${error.message}`);
  else if (problem.status >= 500) logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
}
