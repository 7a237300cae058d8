import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { Optional } from '../../../common/validators';
import { PRIORITIES, type Priority } from '../tasks.producer';

export const TASK_STATES = [
  'waiting',
  'delayed',
  'prioritized',
  'active',
  'completed',
  'failed',
  'waiting-children',
  'unknown',
] as const;

export class TaskView {
  @ApiProperty({ example: 'diagnostics:0193a3c1-…', description: '<queue>:<job id>' }) id: string;
  @ApiProperty() queue: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: TASK_STATES }) state: string;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress: number;
  @ApiProperty() attemptsMade: number;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, description: 'what the task returned, once completed' }) result: unknown;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt: string | null;
}

export class DeadLetterView extends TaskView {
  @ApiProperty({ type: 'object', additionalProperties: true }) payload: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'the error of each failed attempt, oldest first' })
  attemptErrors: string[];
}

export class CancelView {
  @ApiProperty() id: string;
  @ApiProperty({
    enum: ['cancelled', 'cancelling'],
    description: 'cancelling: running; it stops at its next checkpoint',
  })
  state: 'cancelled' | 'cancelling';
}

export class TaskRefView {
  @ApiProperty({ description: 'GET /v1/tasks/{id} follows it' }) id: string;
}

export class DiagnosticTaskDto {
  @ApiProperty({ enum: ['noop', 'wait'] }) @IsIn(['noop', 'wait']) mode: 'noop' | 'wait';
  @ApiPropertyOptional({ minimum: 0, maximum: 600000, description: 'wait only' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  durationMs?: number;
  @ApiPropertyOptional({ enum: PRIORITIES, default: 'normal' }) @Optional() @IsIn(PRIORITIES) priority?: Priority;
  @ApiPropertyOptional({ minimum: 0, maximum: 86400000 })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  delayMs?: number;
}
