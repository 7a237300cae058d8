import type { Readable } from 'node:stream';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/**
 * Route config flag: the route reads its body stream itself, once the caller is authenticated and
 * allowed (app.factory hands such routes the unread stream instead of parsing it first).
 */
export const STREAMED_BODY = 'streamedBody';
export const StreamedBody = () => RouteConfig({ [STREAMED_BODY]: true });

/** Whether the request's route reads its body itself (StreamedBody). */
export function streamsBody(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as unknown as Record<string, unknown> | undefined;
  return config?.[STREAMED_BODY] === true;
}

export interface ReadBodyOptions {
  /** More than this many bytes, declared or received, throws `tooLarge()`. */
  limitBytes: number;
  /** The size of the pieces handed on (the last one may be shorter). */
  pieceBytes: number;
  /** The request's content-length, when it declared one. */
  declaredBytes?: unknown;
  tooLarge: () => Error;
}

/**
 * Reads a request body in pieces of `pieceBytes`, awaiting `onPiece` for each before reading on, so
 * at most about one piece is held at a time. Refuses a body over the limit as soon as that is
 * known, without keeping the rest: the stream is drained, not destroyed, so the answer still
 * reaches the client. Resolves with the bytes read.
 */
export async function readBody(
  body: Readable,
  options: ReadBodyOptions,
  onPiece: (piece: Buffer) => unknown,
): Promise<number> {
  const declared = Number(options.declaredBytes);
  if (Number.isFinite(declared) && declared > options.limitBytes) throw options.tooLarge();
  let total = 0;
  let held: Buffer[] = [];
  let heldBytes = 0;
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > options.limitBytes) throw options.tooLarge();
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < options.pieceBytes) continue;
      let all = Buffer.concat(held);
      while (all.length >= options.pieceBytes) {
        await onPiece(all.subarray(0, options.pieceBytes));
        all = all.subarray(options.pieceBytes);
      }
      held = all.length ? [all] : [];
      heldBytes = all.length;
    }
  } catch (error) {
    // Discard the rest as it arrives, as Node does for a body nobody read: a body left paused
    // would hold the connection open (and its client blocked) until the server's timeouts.
    body.resume();
    throw error;
  }
  if (heldBytes) await onPiece(Buffer.concat(held));
  return total;
}
