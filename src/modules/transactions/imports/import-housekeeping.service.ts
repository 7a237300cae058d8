import { Inject, Injectable, Logger } from '@nestjs/common';
import { importsConfig, type ImportsConfig } from '../../../config/configuration';
import { TasksService } from '../../async-tasks/tasks.service';
import { ImportsRepository } from './imports.repository';

/** An import waiting this long for its task is checked: much longer than queueing one takes. */
const ORPHAN_AFTER_MINUTES = 10;

/**
 * The imports' housekeeping, run by a job scheduler (IMPORT_HOUSEKEEPING_CRON): it deletes the
 * stored files of imports finished more than IMPORT_RETENTION_DAYS ago (their rows, reports and
 * line keys stay), and settles imports left waiting for a task that is not in the queue (an API
 * instance stopped between storing a file and queueing its task; a task removed before it ran),
 * so that no import waits forever.
 */
@Injectable()
export class ImportHousekeeping {
  private readonly logger = new Logger(ImportHousekeeping.name);

  constructor(
    private readonly imports: ImportsRepository,
    private readonly tasks: TasksService,
    @Inject(importsConfig.KEY) private readonly config: ImportsConfig,
  ) {}

  async run(): Promise<{ purged: number; settled: number }> {
    const purged = await this.imports.purgeContent(this.config.retentionDays);
    let settled = 0;
    for (const { id, state } of await this.imports.waitingSince(ORPHAN_AFTER_MINUTES)) {
      if (await this.tasks.exists('imports', id)) continue;
      if (await this.imports.settleOrphan(id, state, ORPHAN_AFTER_MINUTES)) settled++;
    }
    if (purged || settled) this.logger.log(`purged ${purged} import files, settled ${settled} orphaned imports`);
    return { purged, settled };
  }
}
