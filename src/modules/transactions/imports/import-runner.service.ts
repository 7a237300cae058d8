import assert from 'node:assert/strict';
import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError } from '@app/errors';
import { toCents } from '@app/money';
import { Clock } from '../../../common/clock';
import { uuid7 } from '../../../common/uuid7';
import { AccountDirectory } from '../../accounts/account-directory.service';
import { PortfolioAccessService } from '../../accounts/portfolio-access.service';
import type { TaskContext } from '../../async-tasks/task-context';
import { wasCancelled } from '../../async-tasks/tasks.errors';
import { AuthService } from '../../auth/auth.service';
import { ImportReader, lineKey, type RawLine } from '../domain/import-lines';
import { screenTransactions } from '../domain/ledger-screen';
import type { PlannedTransaction } from '../domain/ledger.types';
import { planMovement } from '../domain/movements';
import { announcePosted } from '../ledger.events';
import { LedgerRepository } from '../ledger.repository';
import { ledgerRefusal } from '../transactions.errors';
import { ImportLineDto } from './import-line.dto';
import { describeError, importNotAuthorized, importNotRunnable, importSize, MAX_IMPORT_LINES } from './imports.errors';
import { ImportReport, ImportRow, ImportsRepository } from './imports.repository';

/** Lines checked and applied per database transaction. */
const BATCH = 500;
/** Rejected lines listed in the report (all are counted). */
const REPORTED_REJECTIONS = 1_000;

interface ReadyLine {
  line: number;
  /** Set when the line has a key: it then applies once per portfolio. */
  key?: string;
  plan: PlannedTransaction;
}

type Rejection = ImportReport['rejected'][number];

/** Another run of the same import committed this batch first (its job was taken over while running). */
class Superseded extends Error {
  constructor(importId: string) {
    super(`another run of import ${importId} moved on; this one stops`);
  }
}

/**
 * Runs an import task (docs/tasks.md#bulk-import). The file is read from storage piece by piece,
 * and its lines are parsed, checked and applied 500 at a time, each batch in one database
 * transaction that also records how far the import got and its report so far. So a run that
 * stops (a dead worker, a failed attempt) resumes after the last batch it committed, reading
 * the lines before it without parsing them, and a line without a key is applied once per
 * import; a line with a key claims it, once per portfolio. Before posting, a batch is screened
 * against the locked accounts (screenTransactions): the ledger gets only lines it accepts.
 */
@Injectable()
export class ImportRunner {
  constructor(
    private readonly imports: ImportsRepository,
    private readonly ledger: LedgerRepository,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
    private readonly auth: AuthService,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
  ) {}

  async run(importId: string, context: TaskContext, correlationId?: string): Promise<ImportReport> {
    const row = await this.imports.start(importId);
    if (!row) return this.settled(importId);
    await this.authorize(row);
    const lines = row.lineCount ?? (await this.count(row));
    let report = row.report ?? { importId, lines, accepted: 0, duplicates: 0, rejectedCount: 0, rejected: [] };
    let done = row.linesDone;
    for await (const batch of this.batches(row, done)) {
      await context.checkpoint();
      await this.authorize(row);
      report = await this.apply(row, batch, { done, report }, correlationId);
      done = batch[batch.length - 1].line;
      await context.progress((done / lines) * 100);
    }
    await this.imports.finish(importId, report);
    await context.progress(100);
    return report;
  }

  /** Its task failed for good (attempts used up, or cancelled): so does the import, unless it already had. */
  async failed(importId: string, error: Error): Promise<void> {
    const code = wasCancelled(error.message) ? 'CANCELLED' : 'TASK_FAILED';
    await this.imports.fail(importId, code, error.message);
  }

  /** A task for an import that may not run: it finished (this task ran before), or it never may. */
  private async settled(importId: string): Promise<ImportReport> {
    const row = await this.imports.find(importId);
    // Its row is written before its task is queued, and never deleted.
    assert(row, `import ${importId} has a task but no row`);
    if (row.state === 'finished' && row.report) return row.report;
    const why = { refused: 'it was refused when submitted', finished: 'it has finished' }[row.state as string];
    throw importNotRunnable(importId, why ?? 'its file was purged');
  }

  /** The submitter must still be allowed to move money here: read afresh, never from a cache. */
  private async authorize(row: ImportRow): Promise<void> {
    const principal = row.keyId ? await this.auth.principalOf(row.ownerId, row.keyId) : undefined;
    let allowed = false;
    if (principal) {
      this.access.forgetGrant(row.portfolioId, row.ownerId);
      allowed = await this.access.assert(principal, row.portfolioId, 'move').then(
        () => true,
        (error) => {
          if (error instanceof AppError) return false;
          throw error;
        },
      );
    }
    if (!allowed) await this.fail(row, importNotAuthorized(row.portfolioId));
  }

  /** Counts the data lines without parsing them; a file with none, or too many, fails here. */
  private async count(row: ImportRow): Promise<number> {
    const reader = new ImportReader(row.format);
    let lines = 0;
    for await (const piece of this.imports.pieces(row.id)) lines += reader.push(piece).length;
    lines += reader.end().length;
    if (lines === 0 || lines > MAX_IMPORT_LINES) await this.fail(row, importSize(lines));
    await this.imports.setLineCount(row.id, lines);
    return lines;
  }

  private async fail(row: ImportRow, error: AppError): Promise<never> {
    await this.imports.fail(row.id, error.code, describeError(error));
    throw error;
  }

  /** The lines after `skip`, parsed, BATCH at a time; the ones before it are split, not parsed. */
  private async *batches(row: ImportRow, skip: number): AsyncGenerator<RawLine[]> {
    const reader = new ImportReader(row.format);
    let batch: ReturnType<ImportReader['push']> = [];
    const pieces = this.imports.pieces(row.id);
    for (let piece = await pieces.next(); ; piece = await pieces.next()) {
      const records = piece.done ? reader.end() : reader.push(piece.value);
      for (const record of records) {
        if (record.line <= skip) continue;
        batch.push(record);
        if (batch.length === BATCH) {
          yield reader.parse(batch);
          batch = [];
        }
      }
      if (piece.done) break;
    }
    if (batch.length) yield reader.parse(batch);
  }

  /**
   * Applies a batch in one database transaction, with the import's progress: claims the keys of
   * keyed lines (taken ones are duplicates), screens the rest against the locked accounts, posts
   * what passes and records the report. A line the ledger refuses anyway is rejected and the
   * batch goes again.
   */
  private async apply(
    row: ImportRow,
    lines: RawLine[],
    before: { done: number; report: ImportReport },
    correlationId?: string,
  ): Promise<ImportReport> {
    const { ready, rejected } = await this.prepare(row.portfolioId, lines);
    const last = lines[lines.length - 1].line;
    for (;;) {
      let posted: PlannedTransaction[] = [];
      try {
        const report = await this.imports.transactionWithRetry(async (m) => {
          if ((await this.imports.lockProgress(m, row.id)) !== before.done) throw new Superseded(row.id);
          const keyed = ready.filter((l) => l.key);
          const claimed = await this.imports.claimKeys(
            m,
            row.portfolioId,
            keyed.map((l) => ({ key: l.key!, transactionId: l.plan.id })),
          );
          // A key claimed now goes to its first line; a key taken before, or again in this batch, is a duplicate.
          const fresh = ready.filter((l) => !l.key || claimed.delete(l.key));
          const duplicates = ready.length - fresh.length;
          const locked = await this.ledger.lockAccounts(
            m,
            fresh.flatMap((l) => l.plan.accounts.map((a) => a.id)),
          );
          const screen = screenTransactions(
            locked,
            fresh.map((l) => l.plan),
          );
          const refusals = screen.refused.map(({ index, code, detail }) => {
            const error = ledgerRefusal(code, JSON.stringify(detail))!;
            return { line: fresh[index].line, code, reason: error.message, key: fresh[index].key };
          });
          await this.imports.releaseKeys(
            m,
            row.portfolioId,
            refusals.flatMap((r) => (r.key ? [r.key] : [])),
          );
          posted = screen.accepted.map((i) => fresh[i].plan);
          if (posted.length) {
            await this.ledger.post(
              { action: 'ledger.import', actorId: row.ownerId, correlationId, transactions: posted },
              m,
            );
          }
          const report = addToReport(before.report, {
            accepted: posted.length,
            duplicates,
            rejected: [...rejected, ...refusals.map(({ line, code, reason }) => ({ line, code, reason }))],
          });
          await this.imports.saveProgress(m, row.id, last, report);
          return report;
        });
        if (posted.length) await announcePosted(this.events, posted);
        return report;
      } catch (error) {
        const index = error instanceof AppError ? error.extra.itemIndex : undefined;
        const refused = typeof index === 'number' ? posted[index] : undefined;
        if (!refused) throw error;
        const at = ready.findIndex((l) => l.plan === refused);
        const { code, message } = error as AppError;
        rejected.push({ line: ready[at].line, code, reason: message });
        ready.splice(at, 1);
      }
    }
  }

  /** Checks each line on its own and plans its transaction; the refused ones are rejections. */
  private async prepare(portfolioId: string, lines: RawLine[]) {
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
    const rejected: Rejection[] = [];
    for (const { raw, dto, error } of items) {
      if (!dto) {
        rejected.push({ line: raw.line, code: 'VALIDATION_FAILED', reason: error ?? 'invalid line' });
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
        ready.push({ line: raw.line, key: lineKey(raw.fields!), plan });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        rejected.push({ line: raw.line, code: e.code, reason: e.message });
      }
    }
    return { ready, rejected };
  }
}

/** The report with a batch's outcome added; rejections listed in line order, up to REPORTED_REJECTIONS. */
function addToReport(
  report: ImportReport,
  batch: { accepted: number; duplicates: number; rejected: Rejection[] },
): ImportReport {
  const listed = [...batch.rejected].sort((a, b) => a.line - b.line);
  return {
    ...report,
    accepted: report.accepted + batch.accepted,
    duplicates: report.duplicates + batch.duplicates,
    rejectedCount: report.rejectedCount + batch.rejected.length,
    rejected: [...report.rejected, ...listed].slice(0, REPORTED_REJECTIONS),
  };
}
