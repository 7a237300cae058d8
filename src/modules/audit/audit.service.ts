import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { currentContext } from '../../common/request-context';
import { keysetPage } from '../../common/pagination';
import { AuditEntry, AuditRepository, AuditRow } from './audit.repository';
import type { AuditEntryView, AuditPageView, AuditQueryDto } from './dto/audit.dto';

/** Writes the append-only audit trail: who changed what, when, from where, under which request. */
@Injectable()
export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  /** Records an entry; pass the transaction's manager so the entry commits with the change. */
  record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    const context = currentContext();
    return this.repository.insert(manager, entry, {
      actorId: context?.principal?.userId,
      ip: context?.ip,
      correlationId: context?.correlationId,
    });
  }

  /** The log newest first, filtered, one page at a time. */
  page(q: AuditQueryDto): Promise<AuditPageView> {
    return keysetPage(
      q.limit ?? 100,
      (limit) =>
        this.repository.list({
          actorId: q.actorId,
          portfolioId: q.portfolioId,
          action: q.action,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          beforeId: q.cursor,
          limit,
        }),
      (row) => row.id,
      toAuditView,
    );
  }
}

function toAuditView(r: AuditRow): AuditEntryView {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actorId: r.actor_id,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    portfolioId: r.portfolio_id,
    details: r.details,
    ip: r.ip,
    correlationId: r.correlation_id,
  };
}
