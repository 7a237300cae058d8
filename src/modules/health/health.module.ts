import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AsyncTasksModule } from '../async-tasks/async-tasks.module';
import { HealthController } from './health.controller';
import { ReadinessService } from './readiness.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AsyncTasksModule],
  controllers: [HealthController],
  providers: [ReadinessService],
})
export class HealthModule {}
