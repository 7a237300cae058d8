import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { currentContext } from '../../common/request-context';
import { AuditEntry, AuditQuery, AuditRepository, AuditRow } from './audit.repository';

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

  list(query: AuditQuery): Promise<AuditRow[]> {
    return this.repository.list(query);
  }
}
