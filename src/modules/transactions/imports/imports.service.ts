import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/errors';
import { requestHash } from '../../../common/idempotency';
import { readBody } from '../../../common/read-body';
import { uuid7 } from '../../../common/uuid7';
import { importsConfig, type ImportsConfig } from '../../../config/configuration';
import { PortfolioAccessService } from '../../accounts/portfolio-access.service';
import { taskId } from '../../async-tasks/task-id';
import { TasksProducer } from '../../async-tasks/tasks.producer';
import type { Principal } from '../../auth/principal';
import type { ImportFormat } from '../domain/import-lines';
import { idempotencyKeyReused } from '../transactions.errors';
import { importSize, importTooLarge } from './imports.errors';
import { ImportRow, ImportsRepository, NewImport } from './imports.repository';

/** The file is stored in pieces of this size as it arrives, so no more than one is held in memory. */
export const IMPORT_PIECE_BYTES = 1024 * 1024;

export interface ImportRequest {
  /** A webhook that receives the report once the import has finished. */
  notifyUrl?: string;
  idempotencyKey?: string;
  /** The request's content-length header, if any: a file declared too large is refused unread. */
  declaredBytes?: string;
}

export interface ImportAccepted {
  id: string;
  importId: string;
  bytes: number;
  notifyTaskId?: string;
}

/** Thrown inside the storing transaction to roll it back and answer with the import the key names. */
class Replayed extends Error {
  constructor(readonly row: ImportRow) {
    super('replayed');
  }
}

/**
 * Submitting a bulk import: once the caller may move money in the portfolio, the file streams into
 * storage (never whole in memory, at most IMPORT_LIMIT_BYTES), then its task is queued; reading
 * and checking its lines is the task's work (ImportRunner). With an Idempotency-Key, the same file
 * again returns the same import and task, and a retry after a 503 queues that import again.
 */
@Injectable()
export class ImportsService {
  constructor(
    private readonly imports: ImportsRepository,
    private readonly access: PortfolioAccessService,
    private readonly producer: TasksProducer,
    @Inject(importsConfig.KEY) private readonly config: ImportsConfig,
  ) {}

  async submit(
    principal: Principal,
    portfolioId: string,
    format: ImportFormat,
    body: Readable,
    request: ImportRequest,
  ): Promise<ImportAccepted> {
    await this.access.assert(principal, portfolioId, 'move');
    const { row, replayed } = await this.store(principal, portfolioId, format, body, request);
    const accepted = {
      id: taskId('imports', row.id),
      importId: row.id,
      bytes: row.byteSize,
      ...(request.notifyUrl && { notifyTaskId: taskId('notifications', notifyJobId(row.id)) }),
    };
    // A replay queues again only an import whose task may not exist: refused, or never queued.
    if (replayed && !(await this.imports.requeue(row.id))) return accepted;
    try {
      await this.enqueue(row, request.notifyUrl, replayed);
    } catch (error) {
      if (!(error instanceof AppError && error.kind === 'unavailable')) throw error;
      // Not queued, so it never runs: refused, unless its task reached the queue late and started.
      if (await this.imports.refuse(row.id, error.code, `${error.code}: ${error.message}`)) throw error;
    }
    await this.imports.markQueued(row.id);
    return accepted;
  }

  /**
   * Stores the file piece by piece and the import with it, in one database transaction: a
   * refused or broken upload leaves nothing. An Idempotency-Key already used by the caller
   * rolls it back and returns that import, if the request (portfolio, format, webhook, file)
   * is the same; otherwise the key is refused.
   */
  private async store(
    principal: Principal,
    portfolioId: string,
    format: ImportFormat,
    body: Readable,
    request: ImportRequest,
  ): Promise<{ row: Pick<ImportRow, 'id' | 'byteSize' | 'portfolioId'>; replayed: boolean }> {
    const id = uuid7();
    const limit = this.config.limitBytes;
    const sha256 = createHash('sha256');
    const key = request.idempotencyKey;
    try {
      const row = await this.imports.transaction(async (m) => {
        let seq = 0;
        const options = {
          limitBytes: limit,
          pieceBytes: IMPORT_PIECE_BYTES,
          declaredBytes: request.declaredBytes,
          tooLarge: () => importTooLarge(limit),
        };
        const byteSize = await readBody(body, options, async (piece) => {
          if (key) sha256.update(piece);
          await this.imports.insertChunk(m, id, seq++, piece);
        });
        if (byteSize === 0) throw importSize(0);
        const row: NewImport = { id, portfolioId, ownerId: principal.userId, keyId: principal.keyId, format, byteSize };
        if (key) {
          row.idempotencyKey = key;
          row.requestHash = requestHash('imports.submit', {
            portfolioId,
            format,
            notifyUrl: request.notifyUrl,
            sha256: sha256.digest('hex'),
          });
        }
        if (await this.imports.insert(m, row)) return row;
        const first = (await this.imports.findByIdempotencyKey(m, principal.userId, key!))!;
        if (first.requestHash !== row.requestHash) throw idempotencyKeyReused(key!);
        throw new Replayed(first);
      });
      return { row, replayed: false };
    } catch (error) {
      if (error instanceof Replayed) return { row: error.row, replayed: true };
      throw error;
    }
  }

  /**
   * Queues the import's task (and the webhook after it); job ids derive from the import, so adding
   * twice adds once. A resubmission (`rerun`) of a refused import replaces a task that reached the
   * queue after the refusal and failed, seeing the import refused: that task ran nothing.
   */
  private async enqueue(row: Pick<ImportRow, 'id' | 'portfolioId'>, notifyUrl?: string, rerun = false): Promise<void> {
    const importTask = { queue: 'imports' as const, name: 'import', payload: { importId: row.id } };
    const options = { jobId: row.id, rerun };
    if (!notifyUrl) {
      await this.producer.add(importTask.queue, importTask.name, importTask.payload, options);
      return;
    }
    await this.producer.addAfter(
      {
        queue: 'notifications',
        name: 'import-finished',
        payload: {
          channel: 'webhook',
          url: notifyUrl,
          event: 'import.finished',
          data: { importId: row.id, portfolioId: row.portfolioId },
        },
        options: { jobId: notifyJobId(row.id), rerun },
      },
      { ...importTask, options },
    );
  }
}

const notifyJobId = (importId: string) => `import-${importId}`;
