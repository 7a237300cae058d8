import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConnectionOptions, FlowProducer, Queue } from 'bullmq';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../../config/configuration';
import type { QueueSettings } from '../../config/configuration';
import { settleWithin } from '../../common/with-timeout';
import { QUEUE_NAMES, type QueueName } from './queues';

/** BullMQ's connection options for a Redis URL (the benchmark scripts use them too). */
export function queueConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // Workers block on Redis; BullMQ requires unlimited retries on their connections.
    maxRetriesPerRequest: null,
  };
}

/** The BullMQ queues of this process, their Redis connection options and their settings. */
@Injectable()
export class QueueRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueRegistry.name);
  readonly connection: ConnectionOptions;
  /** Keys of every queue live under the service's Redis prefix. */
  readonly prefix: string;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(
    @Inject(redisConfig.KEY) redis: RedisConfig,
    @Inject(tasksConfig.KEY) private readonly tasks: TasksConfig,
  ) {
    this.connection = queueConnection(redis.url);
    this.prefix = `${redis.keyPrefix}bull`;
  }

  get(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Without a listener BullMQ prints every reconnection failure; readiness reports Redis instead.
      queue.on('error', (error) => this.logger.debug(`queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Adds dependent tasks (flows); closed with the queues. */
  flowProducer(): FlowProducer {
    const flows = new FlowProducer({ connection: this.connection, prefix: this.prefix });
    this.closers.push(() => settleWithin(flows.close(), 2_000, () => flows.disconnect()));
    return flows;
  }

  all(): { name: QueueName; queue: Queue }[] {
    return QUEUE_NAMES.map((name) => ({ name, queue: this.get(name) }));
  }

  settings(name: QueueName): QueueSettings {
    return this.tasks.queues[name];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([
      ...[...this.queues.values()].map((q) => settleWithin(q.close(), 2_000, () => q.disconnect())),
      ...this.closers.map((close) => close()),
    ]);
  }
}
