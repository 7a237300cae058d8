import { isDatabaseUnavailable } from './database.errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['a restart or pg_terminate_backend (57P01 admin_shutdown)', pgError('57P01')],
    ['a crashed server (57P02)', pgError('57P02')],
    ['a server starting up (57P03 cannot_connect_now)', pgError('57P03')],
    ['too many connections (53300)', pgError('53300')],
    ['a connection exception (class 08)', pgError('08006')],
    ['a refused connection', pgError('ECONNREFUSED')],
    ['a reset connection', pgError('ECONNRESET')],
    ['a connection that ended', new Error('Connection terminated unexpectedly')],
    ['no connection within the pool timeout', new Error('timeout exceeded when trying to connect')],
    ['a driver error wrapped by TypeORM', Object.assign(new Error('query failed'), { driverError: pgError('57P01') })],
    ['a cause', new Error('outer', { cause: pgError('ECONNREFUSED') })],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a statement timeout (57014)', pgError('57014')],
    ['a syntax error', pgError('42601')],
    ['a plain error', new Error('boom')],
    ['a string', 'Connection terminated'],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
