import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { metricsConfig, type MetricsConfig } from '../../config/configuration';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES } from '../accounts/domain/account-types';
import { UNIT_STATUSES } from '../fork-merge/domain/merge';
import { BookCountsRepository, type BookCountRow } from './book-counts.repository';
import { accountsGauge, portfoliosGauge, unitsGauge } from './metrics';

/**
 * The book gauges (`alluse_accounts`, `alluse_portfolios`, `alluse_units`), read in the
 * background every METRICS_REFRESH_MS with one query, first at bootstrap; never a scan per
 * scrape. Each refresh waits for the previous one (a chain of timeouts, not an interval), the
 * timer does not keep the process alive, and it stops when the app closes. The worker process
 * does not refresh: its /metrics is for the tasks it runs, and the API instances export the book.
 */
@Injectable()
export class BookGauges implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BookGauges.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly repository: BookCountsRepository,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.adapterHost.httpAdapter) return;
    this.tick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Reads the counts once and sets the gauges (known combinations absent from the book at 0). */
  async refresh(): Promise<void> {
    setBookGauges(await this.repository.counts());
  }

  private tick(): void {
    this.running = this.refresh()
      .catch((error: Error) => this.logger.warn(`book gauges not refreshed: ${error.message}`))
      .finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(() => this.tick(), this.config.refreshMs);
        this.timer.unref();
      });
  }
}

export function setBookGauges(rows: BookCountRow[]): void {
  for (const type of ACCOUNT_TYPES) for (const status of ACCOUNT_STATUSES) accountsGauge.set({ type, status }, 0);
  for (const status of UNIT_STATUSES) unitsGauge.set({ status }, 0);
  portfoliosGauge.set(0);
  for (const row of rows) {
    if (row.what === 'account') accountsGauge.set({ type: row.type!, status: row.status! }, row.n);
    else if (row.what === 'unit') unitsGauge.set({ status: row.status! }, row.n);
    else portfoliosGauge.set(row.n);
  }
}
