import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AsyncTasksModule } from '../async-tasks/async-tasks.module';
import { ProjectionProcessor } from './projection.processor';
import { ProjectionsController } from './projections.controller';
import { ProjectionsRepository } from './projections.repository';
import { ProjectionsService } from './projections.service';

/** The geometric-growth projection (docs/domain.md §9), in the request or as a task. */
@Module({
  imports: [AccountsModule, AsyncTasksModule],
  controllers: [ProjectionsController],
  providers: [ProjectionsRepository, ProjectionsService, ProjectionProcessor],
})
export class ProjectionsModule {}
