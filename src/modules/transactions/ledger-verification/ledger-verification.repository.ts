import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { verifyLedgerInSnapshot, type LedgerVerification } from './ledger-checks';

/** Runs the ledger checks (ledger-checks.ts) on one pooled connection, in one snapshot. */
@Injectable()
export class LedgerVerificationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async verify(options: { limit: number; statementTimeoutMs?: number }): Promise<LedgerVerification> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      return await verifyLedgerInSnapshot((sql, params) => runner.query(sql, params), options);
    } finally {
      await runner.release();
    }
  }
}
