import { resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { type AuthServiceHarness, type TestSession } from '@auth-service/auth-client/testing';
import {
  type Child,
  freePort,
  startChild,
  stopChild,
  waitForReady,
} from '../../../bench/child-process';
import { readProcessEnvironment } from '../../../src/config/app-config';
import { createTestDatabase, type TestDatabase } from '../../../test/utils/test-database';
import {
  CLIENT_SECRET,
  eventually,
  type RunningConsumer,
  serviceEnvironment,
  startConsumer,
  startService,
} from './consumer.fixture';

const ROOT = resolve(__dirname, '../../..');
/** Restarts are checked on the servers (several instances share them): Redis too. */
const redisUrl = () => readProcessEnvironment().REDIS_URL || 'redis://127.0.0.1:6379';

/** Ended sessions the consumer learned from its stream (not from introspection). */
const streamed = (consumer: RunningConsumer) =>
  new Set(
    consumer.events.flatMap((event) =>
      event.kind === 'session-revoked' && event.sessionId ? [event.sessionId] : [],
    ),
  );

describe('Example consumer: no ending is lost across restarts and outages', () => {
  describe('consumer restart and a receiver away for a minute', () => {
    let database: TestDatabase;
    let service: AuthServiceHarness;

    beforeAll(async () => {
      const environment = await serviceEnvironment();
      database = environment.database;
      service = await startService(environment.env);
    }, 120_000);
    afterAll(async () => {
      await service?.close();
      await database?.drop();
    });

    it('a restarted consumer learns what ended while it was down, and still refuses what ended before', async () => {
      const user = await service.createUser();
      const [before, during, live] = [
        await service.login(user),
        await service.login(user),
        await service.login(user),
      ];
      const first = await startConsumer(service);
      await eventually(() => first.client.isStreamFresh());
      await service.logout(before, 'local');
      await service.waitForSessionEnded(first.client, before.sessionId);
      await first.close(); // acknowledged `before`; its memory goes with it

      // Away for a minute (the service's clock moves instead of the test waiting).
      await service.logout(during, 'local');
      service.clock.advance(61_000);

      const second = await startConsumer(service);
      try {
        await service.waitForSessionEnded(second.client, during.sessionId);
        expect(streamed(second).has(during.sessionId)).toBe(true);
        expect(await second.status(during.accessToken)).toBe(401);
        // Acknowledged by the first instance: the second asks introspection about tokens
        // issued before its stream answered, so this ending is not forgotten either.
        expect(await second.status(before.accessToken)).toBe(401);
        expect(await second.status(live.accessToken)).toBe(200);
      } finally {
        await second.close();
      }
    }, 120_000);
  });

  describe('auth service restart, in-process and by SIGKILL of its process', () => {
    let database: TestDatabase;

    beforeAll(async () => {
      // A killed process must come back on a database that survives it: the PostgreSQL server.
      database = await createTestDatabase(
        readProcessEnvironment().DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
      );
    });
    afterAll(() => database?.drop());

    it('keeps every ending across a graceful restart of the auth service', async () => {
      const port = await freePort();
      let service = await startService(database.env, { REDIS_URL: redisUrl() }, port);
      const consumer = await startConsumer(service);
      try {
        await eventually(() => consumer.client.isStreamFresh());
        const user = await service.createUser();
        const [a, b, c] = [
          await service.login(user),
          await service.login(user),
          await service.login(user),
        ];
        await service.logout(a, 'local');
        await service.close();
        service = await startService(database.env, { REDIS_URL: redisUrl() }, port);
        await service.logout(b, 'local');
        await service.waitForSessionEnded(consumer.client, a.sessionId);
        await service.waitForSessionEnded(consumer.client, b.sessionId);
        expect(streamed(consumer).has(a.sessionId) && streamed(consumer).has(b.sessionId)).toBe(
          true,
        );
        expect(await consumer.status(a.accessToken)).toBe(401);
        expect(await consumer.status(b.accessToken)).toBe(401);
        expect(await consumer.status(c.accessToken)).toBe(200);
      } finally {
        await consumer.close();
        await service.close();
      }
    }, 120_000);

    it('keeps every ending when the auth service process is killed with SIGKILL', async () => {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const env = {
        ...Object.fromEntries(
          Object.entries(database.env).filter(
            (entry): entry is [string, string] => entry[1] !== undefined,
          ),
        ),
        PORT: String(port),
        PUBLIC_URL: baseUrl,
        LOG_LEVEL: 'warn',
        SERVICE_CLIENTS: `orders:${CLIENT_SECRET}`,
        SSF_POLL_TIMEOUT: '5s',
        REDIS_URL: redisUrl(),
      };
      const start = async (): Promise<Child> => {
        const child = startChild(
          'auth-service',
          ['-r', 'ts-node/register/transpile-only', resolve(ROOT, 'src/main.ts')],
          env,
          resolve(tmpdir(), `consumer-e2e-auth-${port}.log`),
        );
        await waitForReady(child, baseUrl, 110_000);
        return child;
      };
      let child = await start();
      const consumer = await startConsumer({
        clientOptions: (overrides = {}) => ({
          issuer: 'auth-service',
          audience: 'auth-service',
          clientId: 'orders',
          clientSecret: CLIENT_SECRET,
          serviceUrl: baseUrl,
          ...overrides,
        }),
      });
      try {
        await eventually(() => consumer.client.isStreamFresh());
        const sessions = await loginThrice(baseUrl);
        await logout(baseUrl, sessions[0]);
        child.process.kill('SIGKILL'); // mid-delivery, or before it: either way nothing is lost
        await child.exited;
        child = await start();
        await logout(baseUrl, sessions[1]);
        for (const ended of sessions.slice(0, 2)) {
          await eventually(() => consumer.client.hasSessionEnded(ended.sessionId));
          expect(streamed(consumer).has(ended.sessionId)).toBe(true);
          expect(await consumer.status(ended.accessToken)).toBe(401);
        }
        expect(await consumer.status(sessions[2].accessToken)).toBe(200);
      } finally {
        await consumer.close();
        await stopChild(child);
      }
    }, 300_000);
  });
});

async function call(baseUrl: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function loginThrice(baseUrl: string): Promise<TestSession[]> {
  const email = `kill-${Date.now()}@consumer.test`;
  const password = 'kill-test-password';
  expect((await call(baseUrl, '/auth/register', { email, password })).status).toBe(201);
  const sessions: TestSession[] = [];
  for (let i = 0; i < 3; i++) {
    const { body } = await call(baseUrl, '/auth/login', { email, password });
    sessions.push({
      userId: (body.user as { id: string }).id,
      sessionId: body.sessionId as string,
      accessToken: body.accessToken as string,
      refreshToken: body.refreshToken as string,
    });
  }
  return sessions;
}

async function logout(baseUrl: string, session: TestSession): Promise<void> {
  expect(
    (await call(baseUrl, '/auth/logout', { scope: 'local' }, session.accessToken)).status,
  ).toBe(200);
}
