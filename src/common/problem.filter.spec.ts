import { AppError } from '@app/errors';
import { toProblem } from './problem.filter';

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
