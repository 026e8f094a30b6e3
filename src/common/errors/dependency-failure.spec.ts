import { QueryFailedError } from 'typeorm';
import { isDependencyUnavailable } from './dependency-failure';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isDependencyUnavailable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', withCode('ECONNRESET', 'read ECONNRESET')],
    ['a DNS lookup that may succeed later', withCode('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db')],
    ['an unreachable network', withCode('ENETUNREACH')],
    ['pg-pool giving up on a connection', new Error('timeout exceeded when trying to connect')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['a query that never got its answer', new Error('Query read timeout')],
    ['a closed pg client', new Error('Client was closed and is not queryable')],
    ['too many connections (53300)', withCode('53300')],
    ['out of memory (53200)', withCode('53200')],
    ['admin shutdown (57P01)', withCode('57P01')],
    ['cannot connect now (57P03)', withCode('57P03')],
    ['statement timeout (57014)', withCode('57014')],
    ['a serialization failure (40001)', withCode('40001')],
    ['a deadlock (40P01)', withCode('40P01')],
    ['a lock timeout (55P03)', withCode('55P03')],
    ['a connection exception (08006)', withCode('08006')],
    [
      'ioredis with its offline queue disabled',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    ],
    ['an ioredis command timeout', new Error('Command timed out')],
    ['ioredis out of retries', new Error('Reached the max retries per request limit (which is 1)')],
    [
      'a TypeORM wrapper of a driver error',
      new QueryFailedError('SELECT 1', [], withCode('ECONNRESET', 'write ECONNRESET')),
    ],
    [
      'an error caused by a socket error',
      new Error('lookup failed', { cause: withCode('ETIMEDOUT') }),
    ],
    [
      'an AggregateError of several addresses',
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''),
    ],
  ])('is true for %s', (_name, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a unique violation (23505)', withCode('23505', 'duplicate key value')],
    ['a syntax error (42601)', withCode('42601', 'syntax error at or near')],
    ['a missing table (42P01)', withCode('42P01', 'relation does not exist')],
    ['a code that merely starts like a transient one (400010)', withCode('400010')],
    [
      'a TypeORM wrapper of a constraint violation',
      new QueryFailedError('INSERT', [], withCode('23503')),
    ],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['undefined', undefined],
    ['a stack overflow', new RangeError('Maximum call stack size exceeded')],
  ])('is false for %s', (_name, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });

  it('terminates on a cycle of causes and on deep chains', () => {
    const cyclic: { message: string; cause?: unknown } = { message: 'outer' };
    cyclic.cause = { message: 'inner', cause: cyclic };
    expect(isDependencyUnavailable(cyclic)).toBe(false);
    let deep: unknown = withCode('ECONNRESET');
    for (let level = 0; level < 10; level++) deep = new Error(`level ${level}`, { cause: deep });
    expect(isDependencyUnavailable(deep)).toBe(false);
  });
});
