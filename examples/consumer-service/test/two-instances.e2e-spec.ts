import { type AuthServiceHarness, type TestSession } from '@auth-service/auth-client/testing';
import { freePort } from '../../../bench/child-process';
import { readProcessEnvironment } from '../../../src/config/app-config';
import { createTestDatabase, type TestDatabase } from '../../../test/utils/test-database';
import {
  CLIENT_SECRET,
  type RunningConsumer,
  eventually,
  startConsumer,
  startService,
} from './consumer.fixture';

const BILLING = { id: 'billing', secret: 'billing-secret-0123456789abcdef' };

/** Counts of each session-revoked SET's jti as the consumer received them. */
function deliveriesByJti(consumer: RunningConsumer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of consumer.events) {
    if (event.kind === 'session-revoked') counts.set(event.jti, (counts.get(event.jti) ?? 0) + 1);
  }
  return counts;
}

/**
 * Two auth-service instances on one PostgreSQL and one Redis: a push receiver and a poll
 * receiver each get every ending once, whichever instance ended the session.
 */
describe('Example consumer beside two auth-service instances', () => {
  let database: TestDatabase;
  let instances: AuthServiceHarness[] = [];
  let pushed: RunningConsumer;
  let polled: RunningConsumer;

  beforeAll(async () => {
    const environment = readProcessEnvironment();
    database = await createTestDatabase(
      environment.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    const consumerPort = await freePort();
    const env = {
      ...database.env,
      REDIS_URL: environment.REDIS_URL || 'redis://127.0.0.1:6379',
      SERVICE_CLIENTS: `orders:${CLIENT_SECRET},${BILLING.id}:${BILLING.secret}`,
      // The receiver is a plain-http loopback endpoint: allowed by name, as a test set-up must.
      SSF_PUSH_ALLOWED_ORIGINS: `http://127.0.0.1:${consumerPort}`,
    };
    instances = [await startService(env), await startService(env)];
    pushed = await startConsumer(
      instances[0],
      { delivery: { method: 'push', endpointUrl: `http://127.0.0.1:${consumerPort}/ssf/events` } },
      consumerPort,
    );
    polled = await startConsumer(instances[1], {
      clientId: BILLING.id,
      clientSecret: BILLING.secret,
    });
    await eventually(() => pushed.client.isStreamFresh() && polled.client.isStreamFresh());
  }, 180_000);

  afterAll(async () => {
    await pushed?.close();
    await polled?.close();
    for (const instance of instances) await instance.close();
    await database?.drop();
  });

  it('delivers and acknowledges each ending once to each receiver, whichever instance ended it', async () => {
    const ended: TestSession[] = [];
    const live: TestSession[] = [];
    for (let i = 0; i < 6; i++) {
      const instance = instances[i % 2];
      const user = await instance.createUser();
      const [session, kept] = [await instance.login(user), await instance.login(user)];
      await instances[(i + 1) % 2].logout(session, 'local');
      ended.push(session);
      live.push(kept);
    }
    for (const consumer of [pushed, polled]) {
      for (const session of ended) {
        await eventually(() => consumer.client.hasSessionEnded(session.sessionId));
        expect(await consumer.status(session.accessToken)).toBe(401);
      }
      for (const session of live) expect(await consumer.status(session.accessToken)).toBe(200);
    }
    // One more ending, received by both, so anything still in flight behind the others has landed.
    const user = await instances[0].createUser();
    const sentinel = await instances[0].login(user);
    await instances[1].logout(sentinel, 'local');
    for (const consumer of [pushed, polled]) {
      await eventually(() => consumer.client.hasSessionEnded(sentinel.sessionId));
      const counts = deliveriesByJti(consumer);
      expect(counts.size).toBe(ended.length + 1);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
    }
  }, 120_000);
});
