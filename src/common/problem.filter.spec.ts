import { AppError } from '@app/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem, toProblem } from './problem.filter';

describe(toProblem.name, () => {
  it('carries an error’s extra members beside the standard ones', () => {
    const problem = toProblem(new AppError('unprocessable', 'FORK_NOT_ELIGIBLE', 'no', { reason: 'BELOW' }), 'c1');
    expect(problem).toMatchObject({ status: 422, code: 'FORK_NOT_ELIGIBLE', reason: 'BELOW', correlationId: 'c1' });
  });

  it('never lets an extra member overwrite a standard one', () => {
    const extra = { status: 'CONFIRMED', code: 'X', detail: 'y', type: 'z', title: 't', correlationId: 'w' };
    const problem = toProblem(new AppError('conflict', 'MERGE_PROPOSAL_DECIDED', 'decided', extra), 'c2');
    expect(problem).toMatchObject({
      status: 409,
      code: 'MERGE_PROPOSAL_DECIDED',
      detail: 'decided',
      type: 'urn:alluse:problem:merge-proposal-decided',
      title: 'conflict',
      correlationId: 'c2',
    });
  });
});

describe(sendProblem.name, () => {
  const send = (error: unknown) => {
    const logged: { level: 'error' | 'warn'; text: string }[] = [];
    const logger = {
      error: (text: string) => logged.push({ level: 'error', text }),
      warn: (text: string) => logged.push({ level: 'warn', text }),
    };
    const sent: { status?: number; body?: unknown } = {};
    const reply = {
      header: () => reply,
      status: (status: number) => ((sent.status = status), reply),
      send: (body: unknown) => ((sent.body = body), reply),
    };
    sendProblem({ id: 'c3' } as unknown as FastifyRequest, reply as unknown as FastifyReply, error, logger);
    return { logged, sent };
  };

  it('notes a 5xx the service chose as a warning with its code, without a stack', () => {
    const { logged, sent } = send(new AppError('unavailable', 'ALERT_RECEIVER_NOT_CONFIGURED', 'not configured'));
    expect(sent.status).toBe(503);
    expect(logged).toEqual([{ level: 'warn', text: 'ALERT_RECEIVER_NOT_CONFIGURED: not configured' }]);
  });

  it('logs an unexpected error with its stack, and answers an opaque 500', () => {
    const { logged, sent } = send(new Error('secret internals'));
    expect(sent.status).toBe(500);
    expect(logged).toHaveLength(1);
    expect(logged[0].level).toBe('error');
    expect(logged[0].text).toContain('at '); // the stack
    expect(JSON.stringify(sent.body)).not.toContain('secret internals');
  });

  it('answers a lost database connection with 503 DATABASE_UNAVAILABLE and Retry-After, logged as a warning', () => {
    const headers: Record<string, string> = {};
    const sent: { status?: number; body?: any } = {};
    const reply = {
      header: (name: string, value: string) => ((headers[name] = value), reply),
      status: (status: number) => ((sent.status = status), reply),
      send: (body: unknown) => ((sent.body = body), reply),
    };
    const logged: string[] = [];
    const logger = { error: (t: string) => logged.push(`error ${t}`), warn: (t: string) => logged.push(`warn ${t}`) };
    const lost = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    sendProblem({ id: 'c4' } as unknown as FastifyRequest, reply as unknown as FastifyReply, lost, logger);
    expect(sent.status).toBe(503);
    expect(sent.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', retryAfterSeconds: 2 });
    expect(headers['retry-after']).toBe('2');
    expect(logged).toEqual(['warn DATABASE_UNAVAILABLE: the database is not reachable right now; retry later']);
    expect(JSON.stringify(sent.body)).not.toContain('administrator');
  });

  it('logs nothing for a 4xx', () => {
    expect(send(new AppError('not_found', 'ACCOUNT_NOT_FOUND', 'no')).logged).toEqual([]);
  });
});
