import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { forbidden } from '@app/errors';
import { sendProblem } from '../../common/problem.filter';
import { AuthService } from '../auth/auth.service';
import { QueueRegistry } from './queue-registry.service';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Mounts bull-board (page, static assets and its JSON API) at /admin/queues, for admins only.
 * Its routes are plain Fastify routes that Nest's guards never see, so an `onRequest` hook
 * scoped to the dashboard checks the API key instead and answers refusals as problem documents.
 * Header-only on purpose: a cookie or query-string key would leak into logs and invite CSRF.
 */
export function mountQueueDashboard(app: NestFastifyApplication): void {
  const auth = app.get(AuthService);
  const registry = app.get(QueueRegistry);
  const logger = new Logger('QueueDashboard');

  const board = new FastifyAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  const { setQueues } = createBullBoard({
    queues: [],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'ALL-USE tasks' } },
  });
  // The queues join on the first admin request: each opens a Redis connection, which a process
  // whose board nobody opens need not hold (nor log errors for while Redis is down at boot).
  let queuesAttached = false;
  const attachQueues = () => {
    if (queuesAttached) return;
    setQueues(registry.all().map(({ queue }) => new BullMQAdapter(queue)));
    queuesAttached = true;
  };

  const dashboard = async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request, reply) => {
      try {
        const principal = await auth.authenticateRequest(request.headers.authorization, request.ip);
        if (principal.role !== 'admin') sendProblem(request, reply, forbidden(), logger);
        else return attachQueues();
      } catch (error) {
        sendProblem(request, reply, error, logger); // 401, 429, or the database is down: an opaque 500
      }
      return reply; // answered: stop here
    });
    await scope.register(board.registerPlugin());
  };
  void app.getHttpAdapter().getInstance().register(dashboard, { prefix: QUEUE_DASHBOARD_PATH });
}
