import { Injectable } from '@nestjs/common';
import { valueWithin } from '../../common/with-timeout';

/** How long one collector may take before the scrape goes on without it (its gauges keep their last values). */
const COLLECT_TIMEOUT_MS = 1_000;

/**
 * Work to do just before each scrape: gauges read from somewhere cheap and live (queue depths in
 * Redis, readiness checks). Each collector runs at once with the others and is bounded by a
 * timeout, so a dead dependency slows a scrape by at most that, and never fails it.
 */
@Injectable()
export class ScrapeCollectors {
  private readonly collectors: (() => Promise<void>)[] = [];

  register(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async collect(): Promise<void> {
    await Promise.all(this.collectors.map((collect) => valueWithin(collect(), COLLECT_TIMEOUT_MS)));
  }
}
