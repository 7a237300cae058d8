import { Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { within } from '../../common/with-timeout';
import { MIGRATIONS } from '../../database/data-source';
import { RedisService } from '../../infrastructure/redis.service';
import { QueueRegistry } from '../async-tasks/queue-registry.service';
import { TagTokens } from '../caching/tag-tokens';
import { readinessCheck } from '../monitoring/metrics';
import { ScrapeCollectors } from '../monitoring/scrape-collectors';

/** The checks that decide readiness; each is exported as alluse_readiness_check_up{check}. */
export const READINESS_CHECKS = ['database', 'redis', 'queues', 'migrations'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

/** How long one check may take when the probe asks. */
export const PROBE_TIMEOUT_MS = 1_500;
/** Shorter at scrape time: a scrape collector is cut off after 1 s, and its gauges would keep stale values. */
const SCRAPE_TIMEOUT_MS = 750;
/**
 * A run of the checks answers every probe (or scrape) for this long: both are public, and a run
 * queries PostgreSQL and Redis, so a flood of probes costs one run per second.
 */
export const CHECKS_REUSED_MS = 1_000;

type CheckResults = Record<ReadinessCheck | 'cache', HealthIndicatorResult[string]>;

/** Every migration the code expects, by the name TypeORM records in schema_migrations. */
const EXPECTED_MIGRATIONS = MIGRATIONS.map((M) => new M().name ?? M.name);

/** A failure that carries what the probe should show besides the message (the pending migrations). */
class CheckFailed extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * Readiness, in one place: the probe (/health/ready) and the scrape collector behind
 * alluse_readiness_check_up run the same checks, each bounded by a timeout, all at once.
 */
@Injectable()
export class ReadinessService implements OnModuleInit {
  /**
   * The latest run per timeout (the probe's and the scrape's), shared by every caller while it runs
   * and until CHECKS_REUSED_MS after it started.
   */
  private readonly runs = new LRUCache<number, Promise<CheckResults>>({ max: 2 });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly queues: QueueRegistry,
    private readonly tagTokens: TagTokens,
    private readonly indicators: HealthIndicatorService,
    private readonly collectors: ScrapeCollectors,
  ) {}

  onModuleInit(): void {
    this.collectors.register(async () => {
      const results = await this.recent(SCRAPE_TIMEOUT_MS);
      for (const name of READINESS_CHECKS) readinessCheck.set({ check: name }, results[name].status === 'up' ? 1 : 0);
    });
  }

  /** The checks as the probe sees them: a run at most once a second, concurrent probes sharing it. */
  probe(): Promise<CheckResults> {
    return this.recent(PROBE_TIMEOUT_MS);
  }

  private recent(timeoutMs: number): Promise<CheckResults> {
    const last = this.runs.get(timeoutMs);
    if (last) return last;
    const start = performance.now(); // lru-cache's clock
    const results = this.check(timeoutMs);
    this.runs.set(timeoutMs, results); // without a TTL while it runs
    // Once settled, it expires CHECKS_REUSED_MS after it started (check() never rejects: failures are "down").
    void results.then(() => this.runs.set(timeoutMs, results, { ttl: CHECKS_REUSED_MS, start }));
    return results;
  }

  /**
   * Runs every check; a check that fails or takes longer than `timeoutMs` is down. Also reports
   * the cache, which never fails readiness (reads carry on from L1 and the database) but says
   * when this instance no longer hears other instances' invalidations.
   */
  private async check(timeoutMs: number): Promise<CheckResults> {
    const [database, redis, queues, migrations] = await Promise.all([
      this.run('database', timeoutMs, async () => {
        await this.dataSource.query('SELECT 1');
      }),
      this.run('redis', timeoutMs, () => this.redis.ping(timeoutMs)),
      this.run('queues', timeoutMs, () => this.pingQueues(timeoutMs - 100)),
      this.run('migrations', timeoutMs, () => this.checkMigrations()),
    ]);
    const cache = this.indicators
      .check('cache')
      .up({ invalidations: this.tagTokens.subscribed ? 'subscribed' : 'lost' }).cache;
    return { database, redis, queues, migrations, cache };
  }

  /** Each BullMQ queue's own Redis connection answers PING (they are not the shared client). */
  private async pingQueues(timeoutMs: number): Promise<void> {
    // Their connections queue commands while Redis is away (BullMQ needs that): bound each one.
    const outcomes = await Promise.allSettled(
      this.queues.all().map(({ queue }) =>
        within(
          queue.getBackend().client.then((client) => client.runCommand('ping', [])),
          timeoutMs,
        ),
      ),
    );
    const failed = this.queues.all().filter((_, i) => outcomes[i].status === 'rejected');
    if (failed.length) {
      const names = failed.map((q) => q.name);
      throw new CheckFailed(`queues not answering: ${names.join(', ')}`, { queues: names });
    }
  }

  /** Every migration in MIGRATIONS is recorded as applied; names the pending ones otherwise. */
  private async checkMigrations(): Promise<void> {
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.name));
    const pending = EXPECTED_MIGRATIONS.filter((name) => !applied.has(name));
    if (pending.length) throw new CheckFailed(`pending migrations: ${pending.join(', ')}`, { pending });
  }

  private async run(name: ReadinessCheck, timeoutMs: number, work: () => Promise<void>) {
    const indicator = this.indicators.check(name);
    try {
      await within(work(), timeoutMs);
      return indicator.up()[name];
    } catch (error) {
      const details = error instanceof CheckFailed ? error.details : {};
      return indicator.down({ message: (error as Error).message, ...details })[name];
    }
  }
}
