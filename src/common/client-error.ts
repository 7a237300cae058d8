import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { toProblem } from './problem.filter';

const REFUSALS: Record<string, { status: number; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'The request line and headers are larger than the service accepts.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'The request did not arrive in time.' },
};
const MALFORMED = { status: 400, detail: 'The request is not valid HTTP.' };

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (headers over the size
 * limit, a malformed request line or header) as a problem document, like every other refusal,
 * instead of Fastify's own JSON. There is no request yet, so the correlation id is a new one.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, detail } = REFUSALS[error.code ?? ''] ?? MALFORMED;
  const correlationId = randomUUID();
  const body = JSON.stringify(toProblem(Object.assign(new Error(detail), { statusCode: status }), correlationId));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-correlation-id: ${correlationId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
