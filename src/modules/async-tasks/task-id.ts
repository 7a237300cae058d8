import { QUEUE_NAMES, type QueueName } from './queues';
import { invalidTaskId } from './tasks.errors';

/** A task id names its queue and its job: `notifications:0193…`. */
export function taskId(queue: QueueName, jobId: string): string {
  return `${queue}:${jobId}`;
}

const TASK_ID = /^([a-z-]+):([A-Za-z0-9:_.-]{1,200})$/;

export function parseTaskId(id: string): { queue: QueueName; jobId: string } {
  const match = TASK_ID.exec(id);
  if (!match || !QUEUE_NAMES.includes(match[1] as QueueName)) throw invalidTaskId();
  return { queue: match[1] as QueueName, jobId: match[2] };
}
