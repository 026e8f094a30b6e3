import { createServer, type Server, type Socket } from 'node:net';
import Redis, { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { Client, DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { pgDriver } from '../../database/pg-driver';
import { DependencyUnavailableError, isDependencyUnavailable } from './dependency-failure';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

/** What pg raises when PostgreSQL answers with an error: the SQLSTATE is in `code`. */
const sqlState = (code: string, message = 'failed') => {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'ERROR';
  return error;
};

const replyError = (reply: string) => new (ReplyError as new (message: string) => Error)(reply);

describe('isDependencyUnavailable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', withCode('ECONNRESET', 'read ECONNRESET')],
    ['a DNS lookup that may succeed later', withCode('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db')],
    ['an unreachable network', withCode('ENETUNREACH')],
    ['a connection exception (08006)', sqlState('08006')],
    ['a connection that could not be established (08001)', sqlState('08001')],
    ['too many connections (53300)', sqlState('53300')],
    ['out of memory (53200)', sqlState('53200')],
    ['disk full (53100)', sqlState('53100')],
    ['admin shutdown (57P01)', sqlState('57P01', 'terminating connection due to administrator')],
    ['crash shutdown (57P02)', sqlState('57P02')],
    ['cannot connect now (57P03)', sqlState('57P03')],
    ['statement timeout (57014)', sqlState('57014')],
    ['a serialization failure (40001)', sqlState('40001')],
    ['a deadlock (40P01)', sqlState('40P01')],
    ['a lock timeout (55P03)', sqlState('55P03')],
    ['a standby after failover (25006)', sqlState('25006')],
    [
      'a query whose connection ended before PostgreSQL answered',
      new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')),
    ],
    [
      'a TypeORM wrapper of a server-side transient error',
      new QueryFailedError('SELECT 1', [], sqlState('57P01')),
    ],
    ['a pool that could not connect', new DependencyUnavailableError('PostgreSQL', new Error('x'))],
    ['ioredis out of retries', new MaxRetriesPerRequestError(1)],
    ['Redis loading its data set', replyError('LOADING Redis is loading the dataset in memory')],
    ['a Redis replica after failover', replyError("READONLY You can't write against a replica.")],
    ['a busy Redis script', replyError('BUSY Redis is busy running a script.')],
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
    ['a unique violation (23505)', sqlState('23505', 'duplicate key value')],
    ['a syntax error (42601)', sqlState('42601', 'syntax error at or near')],
    ['a missing table (42P01)', sqlState('42P01', 'relation does not exist')],
    ['a check violation (23514)', sqlState('23514')],
    ['an SQLSTATE of class 57 that is not transient (57000)', sqlState('57000')],
    [
      'a TypeORM wrapper of a constraint violation',
      new QueryFailedError('INSERT', [], sqlState('23503')),
    ],
    [
      'a TypeORM wrapper of a driver bug',
      new QueryFailedError('SELECT', [], new TypeError('values is not iterable')),
    ],
    [
      'a Redis command error',
      replyError('WRONGTYPE Operation against a key holding the wrong kind'),
    ],
    ['a Redis error reply naming LOADING later on', replyError('ERR not LOADING')],
    // Text is never consulted: a plain error that reads like an outage is still a bug.
    ['a plain error with an outage-like message', new Error('Connection terminated unexpectedly')],
    ['a plain error naming a network code', new Error('connect ECONNREFUSED 127.0.0.1:5432')],
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

describe('what the real drivers raise when their server misbehaves', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  /** How the fake server treats each connection: hang up at once, or accept and never answer. */
  let behaviour: 'hang-up' | 'silent' = 'hang-up';

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      if (behaviour === 'hang-up') socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a pg pool that cannot get a connection (hung up) raises an unavailable error', async () => {
    behaviour = 'hang-up';
    const pool = new pgDriver.Pool({ host: '127.0.0.1', port, user: 'u', database: 'd' });
    const error: unknown = await pool.connect().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await pool.end();
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it('a pg pool that times out connecting to a silent server raises an unavailable error', async () => {
    behaviour = 'silent';
    const pool = new pgDriver.Pool({
      host: '127.0.0.1',
      port,
      user: 'u',
      database: 'd',
      connectionTimeoutMillis: 50,
    });
    const error: unknown = await new Promise((resolve) =>
      pool.connect((failure, _client, release) => {
        release();
        resolve(failure);
      }),
    );
    await pool.end();
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it('a refused pg connection is unavailable by its Node error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new Client({ host: '127.0.0.1', port: closedPort, user: 'u', database: 'd' });
    const error: unknown = await client.connect().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it('an ioredis command against a server that keeps hanging up is unavailable', async () => {
    behaviour = 'hang-up';
    const redis = new Redis({
      host: '127.0.0.1',
      port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 10,
    });
    redis.on('error', () => undefined);
    const error: unknown = await redis.get('key').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    redis.disconnect();
    expect(error).toBeInstanceOf(MaxRetriesPerRequestError);
    expect(isDependencyUnavailable(error)).toBe(true);
  });
});
