import { Module } from '@nestjs/common';
import { OutboundHttp } from './outbound-http.service';
import { OutboundUrlPolicy } from './outbound-url-policy';
import { DiagnosticProcessor } from './processors/diagnostic.processor';
import { NotificationProcessor } from './processors/notification.processor';
import { QueueMetrics } from './queue-metrics';
import { QueueRegistry } from './queue-registry.service';
import { TaskProcessors } from './task-processors';
import { TasksController } from './tasks.controller';
import { TasksProducer } from './tasks.producer';
import { TasksService } from './tasks.service';
import { WorkersService } from './workers.service';

/** The task platform: BullMQ queues, their producer and workers, the task and dead-letter API. */
@Module({
  controllers: [TasksController],
  providers: [
    QueueRegistry,
    TasksProducer,
    TasksService,
    OutboundHttp,
    OutboundUrlPolicy,
    NotificationProcessor,
    DiagnosticProcessor,
    TaskProcessors,
    WorkersService,
    QueueMetrics,
  ],
  exports: [TasksProducer, OutboundHttp, OutboundUrlPolicy, TaskProcessors, TasksService, QueueRegistry],
})
export class AsyncTasksModule {}
