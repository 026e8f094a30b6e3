import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { SESSION_REVOKED } from '@auth-service/auth-client';
import { type AuthServiceHarness, type TestSession } from '@auth-service/auth-client/testing';
import { type TestDatabase } from '../../../test/utils/test-database';
import {
  type RunningConsumer,
  eventually,
  serviceEnvironment,
  startConsumer,
  startService,
  CLIENT_SECRET,
} from './consumer.fixture';

/** A second receiver named like the access-token audience (`JWT_AUDIENCE`, default auth-service). */
const SPY_CLIENT = { id: 'auth-service', secret: 'spy-secret-0123456789abcdef' };

/**
 * Every way a session ends reaches the example consumer through its SSF poll stream: the
 * ended session's access token is refused afterwards, and every other session's token is
 * still accepted. The auth service is the real one (PostgreSQL + Redis when DATABASE_URL /
 * REDIS_URL are set, embedded PGlite otherwise); only its clock is moved for expiry.
 */
describe('Example consumer: every session ending reaches it', () => {
  let database: TestDatabase;
  let service: AuthServiceHarness;
  let consumer: RunningConsumer;
  /** A back-channel logout receiver (OIDC BCL 1.0): the logout tokens it was sent. */
  let backChannel: Server;
  const logoutTokens: string[] = [];

  beforeAll(async () => {
    backChannel = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) logoutTokens.push(token);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((done) => backChannel.listen(0, '127.0.0.1', done));
    const backChannelOrigin = `http://127.0.0.1:${(backChannel.address() as AddressInfo).port}`;
    const environment = await serviceEnvironment();
    database = environment.database;
    service = await startService(environment.env, {
      // A reused refresh token always revokes (no grace interval to wait out).
      REFRESH_TOKEN_REUSE_INTERVAL: '0s',
      // Short enough that moving the service clock 21 minutes expires a session whose access
      // token (15 min, the consumer's own clock) would still be valid without the stream.
      SESSION_IDLE_TIMEOUT: '20m',
      SERVICE_CLIENTS: JSON.stringify([
        { client_id: 'orders', client_secret: CLIENT_SECRET },
        { client_id: SPY_CLIENT.id, client_secret: SPY_CLIENT.secret },
        {
          client_id: 'legacy-portal',
          client_secret: 'legacy-secret-0123456789abcdef',
          backchannel_logout_uri: `${backChannelOrigin}/backchannel-logout`,
        },
      ]),
      SSF_PUSH_ALLOWED_ORIGINS: backChannelOrigin,
    });
    consumer = await startConsumer(service);
    await eventually(() => consumer.client.isStreamFresh());
  }, 120_000);

  afterAll(async () => {
    await consumer?.close();
    await service?.close();
    await database?.drop();
    await new Promise((done) => backChannel?.close(done));
  });

  /** Waits until the stream (not introspection) told the consumer, then checks every token. */
  async function expectEnded(ended: TestSession[], live: TestSession[]): Promise<void> {
    for (const session of ended) {
      await service.waitForSessionEnded(consumer.client, session.sessionId);
      expect(consumer.events).toContainEqual(
        expect.objectContaining({ kind: 'session-revoked', sessionId: session.sessionId }),
      );
    }
    for (const session of ended) expect(await consumer.status(session.accessToken)).toBe(401);
    for (const session of live) expect(await consumer.status(session.accessToken)).toBe(200);
  }

  async function sessions(count: number) {
    const user = await service.createUser();
    const list: TestSession[] = [];
    for (let i = 0; i < count; i++) list.push(await service.login(user));
    for (const session of list) expect(await consumer.status(session.accessToken)).toBe(200);
    return { user, list };
  }

  it('logout local: that session only', async () => {
    const { list } = await sessions(2);
    const bystander = (await sessions(1)).list;
    await service.logout(list[0], 'local');
    await expectEnded([list[0]], [list[1], ...bystander]);
  });

  it('logout others: every session of the user but the caller', async () => {
    const { list } = await sessions(3);
    const bystander = (await sessions(1)).list;
    await service.logout(list[0], 'others');
    await expectEnded([list[1], list[2]], [list[0], ...bystander]);
  });

  it('logout global: every session of the user', async () => {
    const { list } = await sessions(3);
    const bystander = (await sessions(1)).list;
    await service.logout(list[1], 'global');
    await expectEnded(list, bystander);
  });

  it('admin logout: every session of the target user, not the admin', async () => {
    const { user, list } = await sessions(2);
    const admin = await service.loginAdmin();
    await service.expect(200, 'POST', `/admin/users/${user.id}/logout`, {
      token: admin.accessToken,
      body: { reason: 'consumer e2e' },
    });
    await expectEnded(list, [admin]);
  });

  it('session delete: the deleted session, not the one that deleted it', async () => {
    const { list } = await sessions(2);
    await service.expect(204, 'DELETE', `/auth/sessions/${list[1].sessionId}`, {
      token: list[0].accessToken,
    });
    await expectEnded([list[1]], [list[0]]);
  });

  it('RFC 7009 revocation of a refresh token: its session', async () => {
    const { list } = await sessions(2);
    await service.expect(200, 'POST', '/oauth/revoke', {
      client: true,
      form: { token: list[0].refreshToken, token_type_hint: 'refresh_token' },
    });
    await expectEnded([list[0]], [list[1]]);
  });

  it('refresh-token reuse: the whole session of the reused token', async () => {
    const { list } = await sessions(2);
    const { body } = await service.expect(200, 'POST', '/auth/refresh', {
      body: { refreshToken: list[0].refreshToken },
    });
    const rotated = { ...list[0], accessToken: (body as { accessToken: string }).accessToken };
    await service.expect(401, 'POST', '/auth/refresh', {
      body: { refreshToken: list[0].refreshToken },
    });
    await expectEnded([list[0], rotated], [list[1]]);
  });

  it('password change: every other session of the user, not the one that changed it', async () => {
    const { user, list } = await sessions(3);
    await service.expect(200, 'POST', '/auth/password', {
      token: list[0].accessToken,
      body: { currentPassword: user.password, newPassword: `${user.password}-new` },
    });
    await expectEnded([list[1], list[2]], [list[0]]);
    expect(consumer.events).toContainEqual(
      expect.objectContaining({ kind: 'credential-change', userId: user.id }),
    );
  });

  it('a SET presented as an access token is refused, even one addressed to the access-token audience', async () => {
    // A receiver whose client id equals the access-token audience gets SETs whose `aud` an
    // access-token check would accept: only `typ` (and the missing session) tell them apart.
    const spy = SPY_CLIENT;
    const { list } = await sessions(1);
    const created = await service.expect(201, 'POST', '/ssf/streams', {
      client: spy,
      body: { delivery: { method: 'urn:ietf:rfc:8936' }, events_requested: [SESSION_REVOKED] },
    });
    const streamId = (created.body as { stream_id: string }).stream_id;
    await service.logout(list[0], 'local');
    let sets: string[] = [];
    await eventually(async () => {
      const { body } = await service.expect(200, 'POST', `/ssf/poll/${streamId}`, {
        client: spy,
        body: { returnImmediately: true },
      });
      sets = Object.values((body as { sets: Record<string, string> }).sets);
      return sets.length > 0;
    });
    expect(await consumer.status(sets[0])).toBe(401);
  });

  it('a back-channel logout token presented as an access token is refused', async () => {
    const { list } = await sessions(1);
    await service.logout(list[0], 'local');
    await eventually(() => logoutTokens.length > 0);
    expect(await consumer.status(logoutTokens[0])).toBe(401);
  });

  // Last: it moves the service clock past the idle timeout of every session created above.
  it('expiry sweep: the idle session, not one active since', async () => {
    const { user, list } = await sessions(1);
    service.clock.advance(21 * 60_000);
    const fresh = await service.login(user);
    expect(await service.sweepExpiredSessions()).toBeGreaterThan(0);
    await expectEnded(list, [fresh]);
  });
});
