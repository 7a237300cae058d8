import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { dbPoolIdle, dbPoolMax, dbPoolTotal, dbPoolWaiting } from './metrics';
import { ScrapeCollectors } from './scrape-collectors';

/** The app's connection pool (pg's Pool behind TypeORM), read at each scrape: four counters in memory. */
@Injectable()
export class DatabasePoolMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly collectors: ScrapeCollectors,
  ) {}

  onModuleInit(): void {
    this.collectors.register(() => {
      const pool = (this.dataSource.driver as PostgresDriver).master as Pool | undefined;
      if (pool) {
        dbPoolTotal.set(pool.totalCount);
        dbPoolIdle.set(pool.idleCount);
        dbPoolWaiting.set(pool.waitingCount);
        dbPoolMax.set(pool.options.max ?? 10);
      }
      return Promise.resolve();
    });
  }
}
