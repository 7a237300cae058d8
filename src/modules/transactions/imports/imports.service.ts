import { EventEmitter2 } from '@nestjs/event-emitter';
import { announcePosted } from '../ledger.events';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError, validationError } from '@app/errors';
import { toCents } from '@app/money';
import { Clock } from '../../../common/clock';
import { isStorableText, STORABLE_TEXT_RULE } from '../../../common/validators';
import { uuid7 } from '../../../common/uuid7';
import { AccountDirectory } from '../../accounts/account-directory.service';
import { PortfolioAccessService } from '../../accounts/portfolio-access.service';
import type { TaskContext } from '../../async-tasks/task-context';
import { TasksProducer } from '../../async-tasks/tasks.producer';
import type { Principal } from '../../auth/principal';
import { countLines, ImportFormat, lineKey, splitImport } from '../domain/import-lines';
import type { PlannedTransaction } from '../domain/ledger.types';
import { planMovement } from '../domain/movements';
import { LedgerRepository } from '../ledger.repository';
import { ImportLineDto } from './import-line.dto';
import { ImportsRepository } from './imports.repository';

export const MAX_IMPORT_LINES = 100_000;
/** Lines applied per database transaction. */
const CHUNK = 500;
/** Rejected lines listed in the report (all are counted). */
const REPORTED_REJECTIONS = 1_000;

interface ReadyLine {
  line: number;
  key: string;
  plan: PlannedTransaction;
}

export interface ImportReport {
  importId: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejectedCount: number;
  rejected: { line: number; code: string; reason: string }[];
}

/**
 * Bulk import of movements (CSV or JSON lines). Submitting stores the file and queues a task; the
 * task checks every line on its own, then applies the good ones through the ledger in chunks,
 * each line's key claimed in the same database transaction that applies it. A bad line never
 * blocks the others and never half-applies; running the task again (after a crash, or importing
 * the same file again) applies nothing twice.
 */
@Injectable()
export class ImportsService {
  constructor(
    private readonly imports: ImportsRepository,
    private readonly ledger: LedgerRepository,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
    private readonly producer: TasksProducer,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
  ) {}

  /** Stores the file and queues its task; with `notifyUrl`, a webhook follows the import with its report. */
  async submit(principal: Principal, portfolioId: string, format: ImportFormat, content: string, notifyUrl?: string) {
    await this.access.assert(principal, portfolioId, 'move');
    if (!isStorableText(content)) {
      throw validationError(`invalid import: the file ${STORABLE_TEXT_RULE}`, [
        { field: 'body', message: STORABLE_TEXT_RULE },
      ]);
    }
    const lineCount = countLines(format, content);
    if (lineCount === 0 || lineCount > MAX_IMPORT_LINES) {
      throw new AppError(
        'validation',
        'IMPORT_SIZE',
        `an import holds 1 to ${MAX_IMPORT_LINES} lines, this one ${lineCount}`,
      );
    }
    const importId = uuid7();
    await this.imports.insert({
      id: importId,
      portfolio_id: portfolioId,
      owner_id: principal.userId,
      format,
      content,
      line_count: lineCount,
    });
    const importTask = {
      queue: 'imports' as const,
      name: 'import',
      payload: { importId },
      options: { jobId: importId },
    };
    if (!notifyUrl) {
      const task = await this.producer.add(importTask.queue, importTask.name, importTask.payload, importTask.options);
      return { ...task, importId, lines: lineCount };
    }
    const flow = await this.producer.addAfter(
      {
        queue: 'notifications',
        name: 'import-finished',
        payload: { channel: 'webhook', url: notifyUrl, event: 'import.finished', data: { importId, portfolioId } },
      },
      importTask,
    );
    return { id: flow.id, notifyTaskId: flow.followUpId, importId, lines: lineCount };
  }

  async run(importId: string, context: TaskContext, correlationId?: string): Promise<ImportReport> {
    const row = await this.imports.find(importId);
    if (!row) throw new AppError('not_found', 'IMPORT_NOT_FOUND', `import ${importId} was not found`);
    const report: ImportReport = { importId, lines: 0, accepted: 0, duplicates: 0, rejectedCount: 0, rejected: [] };
    const reject = (line: number, code: string, reason: string) => {
      report.rejectedCount++;
      if (report.rejected.length < REPORTED_REJECTIONS) report.rejected.push({ line, code, reason });
    };

    const ready = await this.prepare(row.portfolio_id, splitImport(row.format, row.content), reject, report);
    for (let start = 0; start < ready.length; start += CHUNK) {
      await context.checkpoint();
      await this.applyChunk(row, ready.slice(start, start + CHUNK), report, reject, correlationId);
      await context.progress(((start + CHUNK) / ready.length) * 100);
    }
    await context.progress(100);
    report.rejected.sort((a, b) => a.line - b.line);
    return report;
  }

  /** Checks each line on its own and plans its transaction; refused lines go to the report. */
  private async prepare(
    portfolioId: string,
    lines: ReturnType<typeof splitImport>,
    reject: (line: number, code: string, reason: string) => void,
    report: ImportReport,
  ): Promise<ReadyLine[]> {
    report.lines = lines.length;
    const items = lines.map((raw) => {
      if (!raw.fields) return { raw, error: raw.error };
      const dto = plainToInstance(ImportLineDto, raw.fields);
      const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
      const messages = errors.flatMap((e) => Object.values(e.constraints ?? {}));
      return messages.length ? { raw, error: messages.join('; ') } : { raw, dto };
    });
    const ids = items.flatMap((i) => (i.dto ? [i.dto.accountId, i.dto.toAccountId ?? i.dto.accountId] : []));
    const facts = await this.directory.lookup(ids);
    // Only this portfolio's accounts may be moved: others are as unknown as missing ones.
    for (const [id, fact] of facts) if (fact.portfolioId !== portfolioId) facts.delete(id);
    const now = this.clock.now();

    const ready: ReadyLine[] = [];
    const keys = new Set<string>();
    for (const { raw, dto, error } of items) {
      if (!dto) {
        reject(raw.line, 'VALIDATION_FAILED', error ?? 'invalid line');
        continue;
      }
      try {
        const plan = planMovement(
          uuid7(),
          {
            kind: dto.kind,
            accountId: dto.accountId,
            toAccountId: dto.toAccountId,
            amount: toCents(dto.amount),
            effectiveAt: dto.effectiveAt ? new Date(dto.effectiveAt) : undefined,
            memo: dto.memo,
          },
          facts,
          now,
        );
        const key = lineKey(raw.line, raw.fields!);
        // A key repeated within the file: the line is the same movement again, applied once.
        if (keys.has(key)) report.duplicates++;
        else ready.push({ line: raw.line, key, plan });
        keys.add(key);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        reject(raw.line, e.code, e.message);
      }
    }
    return ready;
  }

  /**
   * Applies a chunk in one database transaction: claims the keys (lines already applied are
   * duplicates), then posts the new lines. A line the ledger refuses is taken out and the rest
   * of the chunk goes again; the refusal rolled back everything, keys included.
   */
  private async applyChunk(
    row: { portfolio_id: string; owner_id: string },
    chunk: ReadyLine[],
    report: ImportReport,
    reject: (line: number, code: string, reason: string) => void,
    correlationId?: string,
  ): Promise<void> {
    let pending = chunk;
    while (pending.length > 0) {
      let fresh: ReadyLine[] = [];
      try {
        await this.imports.transaction(async (m) => {
          const claimed = await this.imports.claimKeys(
            m,
            row.portfolio_id,
            pending.map((l) => ({ key: l.key, transactionId: l.plan.id })),
          );
          fresh = pending.filter((l) => claimed.has(l.key));
          if (fresh.length === 0) return;
          await this.ledger.post(
            { action: 'ledger.import', actorId: row.owner_id, correlationId, transactions: fresh.map((l) => l.plan) },
            m,
          );
        });
        report.accepted += fresh.length;
        report.duplicates += pending.length - fresh.length;
        if (fresh.length > 0)
          await announcePosted(
            this.events,
            fresh.map((l) => l.plan),
          );
        return;
      } catch (error) {
        const index = error instanceof AppError ? error.extra.itemIndex : undefined;
        if (typeof index !== 'number' || !fresh[index]) throw error;
        const refused = fresh[index];
        reject(refused.line, (error as AppError).code, (error as AppError).message);
        pending = pending.filter((l) => l !== refused);
      }
    }
  }
}
