import { type AuthServiceHarness, type TestSession } from '@auth-service/auth-client/testing';
import { freePort } from '../../../bench/child-process';
import { PushReceiver } from '../../../test/utils/push-receiver';
import { type TestDatabase } from '../../../test/utils/test-database';
import {
  CLIENT_SECRET,
  eventually,
  type RunningConsumer,
  serviceEnvironment,
  startConsumer,
  startService,
} from './consumer.fixture';

const LEGACY = { id: 'legacy-portal', secret: 'legacy-secret-0123456789abcdef' };

const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/**
 * Push receivers away while sessions end: the example consumer's RFC 8935 endpoint and a
 * back-channel logout endpoint are closed (connections refused), sessions end, a minute
 * passes on the service's clock, both come back on the same addresses. Every ending then
 * arrives, each exactly once, and the consumer refuses exactly the ended sessions' tokens.
 * The retries run on the service's backoff (capped at 1 s here); nothing waits for a time.
 */
describe('Example consumer: push receivers that are down lose no ending', () => {
  let database: TestDatabase;
  let service: AuthServiceHarness;
  let backChannel: PushReceiver;
  let consumerPort: number;
  const consumers: RunningConsumer[] = [];

  const pushDelivery = () => ({
    delivery: {
      method: 'push' as const,
      endpointUrl: `http://127.0.0.1:${consumerPort}/ssf/events`,
    },
  });

  beforeAll(async () => {
    backChannel = await PushReceiver.start();
    consumerPort = await freePort();
    const environment = await serviceEnvironment();
    database = environment.database;
    service = await startService(environment.env, {
      SERVICE_CLIENTS: JSON.stringify([
        { client_id: 'orders', client_secret: CLIENT_SECRET },
        {
          client_id: LEGACY.id,
          client_secret: LEGACY.secret,
          backchannel_logout_uri: `${backChannel.origin}/backchannel-logout`,
        },
      ]),
      // Both receivers are plain-http loopback endpoints: allowed by name, as a test set-up must.
      SSF_PUSH_ALLOWED_ORIGINS: `http://127.0.0.1:${consumerPort},${backChannel.origin}`,
      SSF_PUSH_MAX_BACKOFF: '1s',
    });
  }, 120_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.close().catch(() => undefined);
    await service?.close();
    await database?.drop();
    await backChannel?.stop();
  });

  /** `ssf_deliveries_total` of the service for one method and outcome. */
  async function deliveries(method: string, outcome: string): Promise<number> {
    const { body } = await service.request('GET', '/metrics');
    const line = String(body)
      .split('\n')
      .find((row) =>
        row.startsWith(`ssf_deliveries_total{method="${method}",outcome="${outcome}"}`),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('delivers every ending that happened while the consumer and the back-channel receiver were down, once each', async () => {
    const first = await startConsumer(service, pushDelivery(), consumerPort);
    consumers.push(first);
    await eventually(() => first.client.isStreamFresh());

    const [alice, bob] = [await service.createUser(), await service.createUser()];
    const [aliceA, aliceB, aliceLive] = [
      await service.login(alice),
      await service.login(alice),
      await service.login(alice),
    ];
    const [bobA, bobB] = [await service.login(bob), await service.login(bob)];
    const live = [aliceLive];

    // Both receivers go away: their ports refuse connections.
    await first.close();
    await backChannel.stop();
    const pushRetriesBefore = await deliveries('push', 'retry');
    const backchannelRetriesBefore = await deliveries('backchannel', 'retry');

    await service.logout(aliceA, 'local');
    await service.logout(aliceB, 'local');
    await service.logout(bobA, 'global');
    const ended: TestSession[] = [aliceA, aliceB, bobA, bobB];

    // The service tried both and was refused (no time is waited: the outcome is).
    await eventually(
      async () =>
        (await deliveries('push', 'retry')) > pushRetriesBefore &&
        (await deliveries('backchannel', 'retry')) > backchannelRetriesBefore,
    );
    // Away for a minute: the service's clock moves instead of the test waiting.
    service.clock.advance(61_000);

    await backChannel.listen();
    const second = await startConsumer(service, pushDelivery(), consumerPort);
    consumers.push(second);
    for (const session of ended) {
      await service.waitForSessionEnded(second.client, session.sessionId);
    }
    await backChannel.until(() =>
      ended.every((session) => logoutTokensFor(session.sessionId).length > 0),
    );

    // Each ending came by push, once (the jti is the delivery: a second push would repeat it).
    const revoked = second.events.filter((event) => event.kind === 'session-revoked');
    for (const session of ended) {
      expect(revoked.filter((event) => event.sessionId === session.sessionId)).toHaveLength(1);
      expect(logoutTokensFor(session.sessionId)).toHaveLength(1);
    }
    expect(new Set(revoked.map((event) => event.jti)).size).toBe(revoked.length);
    const logoutJtis = backChannel.received.map((push) => logoutClaims(push.body).jti);
    expect(new Set(logoutJtis).size).toBe(logoutJtis.length);

    for (const session of ended) expect(await second.status(session.accessToken)).toBe(401);
    for (const session of live) expect(await second.status(session.accessToken)).toBe(200);
  }, 120_000);

  function logoutClaims(body: string): Record<string, unknown> {
    return claimsOf(new URLSearchParams(body).get('logout_token') ?? '');
  }

  function logoutTokensFor(sessionId: string) {
    return backChannel.received.filter(
      (push) => push.path === '/backchannel-logout' && logoutClaims(push.body).sid === sessionId,
    );
  }
});
