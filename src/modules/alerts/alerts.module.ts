import { Module } from '@nestjs/common';
import { AsyncTasksModule } from '../async-tasks/async-tasks.module';
import { AuthModule } from '../auth/auth.module';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

/** Receives Alertmanager's notifications, records them and forwards changes to people (docs/alerting.md). */
@Module({
  imports: [AsyncTasksModule, AuthModule],
  controllers: [AlertsController],
  providers: [AlertsRepository, AlertsService],
})
export class AlertsModule {}
