import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CancelView, DeadLetterView, DiagnosticTaskDto, TaskRefView, TaskView } from './dto/task.view';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('v1')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Get('tasks/:id')
  @ApiOperation({ summary: 'A task: state, progress %, result or error, timestamps' })
  @ApiOkResponse({ type: TaskView })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TaskView> {
    return this.tasks.get(principal, id);
  }

  @Delete('tasks/:id')
  @ApiOperation({ summary: 'Cancel a waiting or delayed task; a running one stops at its next checkpoint' })
  @ApiOkResponse({ type: CancelView })
  cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<CancelView> {
    return this.tasks.cancel(principal, id);
  }

  @Get('dead-letters')
  @Roles('admin')
  @ApiOperation({ summary: 'Tasks that failed for good, with payload, error and attempt history (admin)' })
  @ApiOkResponse({ type: [DeadLetterView] })
  deadLetters(): Promise<DeadLetterView[]> {
    return this.tasks.deadLetters();
  }

  @Post('dead-letters/:id/retry')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a dead letter again, with a fresh set of attempts (admin)' })
  @ApiAcceptedResponse({ type: TaskView })
  retry(@Param('id') id: string): Promise<TaskView> {
    return this.tasks.retryDeadLetter(id);
  }

  @Delete('dead-letters/:id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Discard a dead letter (admin)' })
  @ApiNoContentResponse()
  discard(@Param('id') id: string): Promise<void> {
    return this.tasks.deleteDeadLetter(id);
  }

  @Post('admin/tasks/diagnostics')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Submit a synthetic task (noop, or a cancellable wait) to exercise the workers (admin)' })
  @ApiAcceptedResponse({ type: TaskRefView })
  diagnostic(@Body() body: DiagnosticTaskDto): Promise<TaskRefView> {
    return this.tasks.submitDiagnostic(body);
  }
}
