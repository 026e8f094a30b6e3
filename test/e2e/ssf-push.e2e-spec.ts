import request from 'supertest';
import { type App } from 'supertest/types';
import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };
import type { JSONWebKeySet } from 'jose' with { 'resolution-mode': 'import' };
import { readProcessEnvironment } from '../../src/config/app-config';
import { PushDeliveryWorker } from '../../src/security-events/services/push-delivery.worker';
import { SecurityEventRetentionJob } from '../../src/security-events/services/security-event-retention.job';
import { type LoggedIn, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { createTestDatabase } from '../utils/test-database';
import { PushReceiver, type ReceivedPush } from '../utils/push-receiver';

type Jose = typeof JoseModule;

const ISSUER = 'https://auth.example.test';
const PUSHED = { id: 'push-receiver', secret: 'push-receiver-secret-0123456789' };
const LEGACY = { id: 'legacy-app', secret: 'legacy-app-secret-0123456789' };
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';
const PUSH = 'urn:ietf:rfc:8935';
const environment = readProcessEnvironment();
const POSTGRES = environment.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = environment.REDIS_URL || 'redis://127.0.0.1:6379';

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const logoutTokenOf = (push: ReceivedPush): string =>
  new URLSearchParams(push.body).get('logout_token') ?? '';
/** The session a pushed SET is about, or '' for a SET about no session (verification). */
const sidOf = (push: ReceivedPush): string =>
  (claimsOf(push.body).sub_id as { session?: { id?: string } } | undefined)?.session?.id ?? '';

/**
 * Issue 10, push side: RFC 8935 push to a real local receiver, retries after 5xx and while
 * it is down, OpenID Connect Back-Channel Logout, and two instances on one database each
 * delivering every event once.
 */
describe('SSF push delivery and back-channel logout', () => {
  let jose: Jose;
  let receiver: PushReceiver;
  let t: TestApp;
  let server: App;
  let jwks: ReturnType<Jose['createLocalJWKSet']>;
  let streamId: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    jose = await import('jose');
    receiver = await PushReceiver.start();
    env = {
      JWT_ISSUER: ISSUER,
      SSF_PUSH_ALLOWED_ORIGINS: receiver.origin,
      SSF_PUSH_MAX_BACKOFF: '2s',
      SERVICE_CLIENTS: JSON.stringify([
        { client_id: PUSHED.id, client_secret: PUSHED.secret },
        {
          client_id: LEGACY.id,
          client_secret: LEGACY.secret,
          backchannel_logout_uri: `${receiver.origin}/backchannel-logout`,
        },
      ]),
    };
    t = await createTestApp({ env });
    server = t.app.getHttpServer();
    jwks = jose.createLocalJWKSet(
      (await request(server).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet,
    );
    // The receiver answers the creation probe (an empty POST) as RFC 8935 says: 400.
    receiver.answer = (push) => ({ status: push.body === '' ? 400 : 202 });
    streamId = await createPushStream(server);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  /** The push receiver's stream, delivering to `/events` on the local receiver. */
  const createPushStream = async (on: App): Promise<string> => {
    const created = await request(on)
      .post('/ssf/streams')
      .auth(PUSHED.id, PUSHED.secret)
      .send({
        delivery: { method: PUSH, endpoint_url: `${receiver.origin}/events` },
        events_requested: [SESSION_REVOKED],
      })
      .expect(201);
    return (created.body as { stream_id: string }).stream_id;
  };
  const logout = (session: LoggedIn, scope = 'local') =>
    request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ scope })
      .expect(200);
  const setsFor = (sessionId: string) =>
    receiver.received.filter(
      (push) => push.path === '/events' && push.body !== '' && sidOf(push) === sessionId,
    );
  const logoutTokensFor = (sessionId: string) =>
    receiver.received.filter(
      (push) =>
        push.path === '/backchannel-logout' && claimsOf(logoutTokenOf(push)).sid === sessionId,
    );

  it('pushes each ended session’s SET to the receiver, verifiable against the JWKS', async () => {
    const [session] = await userWithSessions(server, 1);
    await logout(session);
    await receiver.until(() => setsFor(session.sessionId).length > 0);
    const [push] = setsFor(session.sessionId);
    expect(push.contentType).toBe('application/secevent+jwt');
    const { payload, protectedHeader } = await jose.jwtVerify(push.body, jwks, {
      issuer: ISSUER,
      audience: PUSHED.id,
      typ: 'secevent+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'secevent+jwt', kid: expect.any(String) });
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: PUSHED.id,
      jti: expect.any(String),
      iat: expect.any(Number),
      sub_id: {
        format: 'complex',
        user: { format: 'iss_sub', iss: ISSUER, sub: session.userId },
        session: { format: 'opaque', id: session.sessionId },
      },
      events: { [SESSION_REVOKED]: { initiating_entity: 'user' } },
    });
  });

  it('retries after 5xx answers with the same jti until the receiver takes it', async () => {
    const failures = new Map<string, number>();
    receiver.answer = (push) => {
      if (push.path !== '/events' || push.body === '') return { status: 202 };
      const jti = claimsOf(push.body).jti as string;
      const failed = failures.get(jti) ?? 0;
      if (failed >= 2) return { status: 202 };
      failures.set(jti, failed + 1);
      return { status: 503 };
    };
    try {
      const [session] = await userWithSessions(server, 1);
      await logout(session);
      await receiver.until(() => setsFor(session.sessionId).length >= 3);
      const jtis = setsFor(session.sessionId).map((push) => claimsOf(push.body).jti);
      expect(new Set(jtis).size).toBe(1);
      const [row] = await t.dataSource.query<{ attempts: number }[]>(
        'SELECT attempts FROM security_event_deliveries WHERE id = $1',
        [jtis[0]],
      );
      expect(row.attempts).toBeGreaterThanOrEqual(3);
    } finally {
      receiver.answer = () => ({ status: 202 });
    }
  });

  it('delivers what ended while the receiver was down once it is back', async () => {
    const [session] = await userWithSessions(server, 1);
    await receiver.stop();
    try {
      await logout(session);
      // Wait (without a clock) until an attempt has failed against the closed port.
      for (;;) {
        const [row] = await t.dataSource.query<{ attempts: number }[]>(
          `SELECT d.attempts FROM security_event_deliveries d
           JOIN security_events e ON e.id = d.event_id
           JOIN ssf_streams s ON s.id = d.stream_id
           WHERE e.session_id = $1 AND s.kind = 'ssf'`,
          [session.sessionId],
        );
        if (row && row.attempts > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(setsFor(session.sessionId)).toEqual([]);
    } finally {
      await receiver.listen();
    }
    await receiver.until(() => setsFor(session.sessionId).length > 0);
    await receiver.until(() => logoutTokensFor(session.sessionId).length > 0);
  });

  it('sends back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0)', async () => {
    const [first, second] = await userWithSessions(server, 2);
    await logout(first, 'global');
    await receiver.until(
      () =>
        logoutTokensFor(first.sessionId).length > 0 && logoutTokensFor(second.sessionId).length > 0,
    );
    const [push] = logoutTokensFor(first.sessionId);
    expect(push.contentType).toBe('application/x-www-form-urlencoded');
    const token = logoutTokenOf(push);
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: LEGACY.id,
      typ: 'logout+jwt',
      algorithms: ['ES256'],
      maxTokenAge: '5m',
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'logout+jwt', kid: expect.any(String) });
    expect(payload).toEqual({
      iss: ISSUER,
      aud: LEGACY.id,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
      sub: first.userId,
      sid: first.sessionId,
      events: { [BACKCHANNEL_LOGOUT]: {} },
    });
    // §2.4: short-lived, and never a nonce.
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(300);
    expect(payload.nonce).toBeUndefined();
    // A logout token is no access token anywhere.
    await request(server).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
    await request(server).get('/ssf/streams').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('refuses a push endpoint that redirects, and changes nothing', async () => {
    receiver.answer = (push) =>
      push.path === '/moved'
        ? { status: 307, location: 'http://169.254.169.254/' }
        : { status: 202 };
    try {
      const response = await request(server)
        .patch('/ssf/streams')
        .auth(PUSHED.id, PUSHED.secret)
        .send({
          stream_id: streamId,
          delivery: { method: PUSH, endpoint_url: `${receiver.origin}/moved` },
        })
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'invalid_push_endpoint' });
      const stream = await request(server)
        .get('/ssf/streams')
        .auth(PUSHED.id, PUSHED.secret)
        .query({ stream_id: streamId })
        .expect(200);
      expect(stream.body).toMatchObject({
        delivery: { method: PUSH, endpoint_url: `${receiver.origin}/events` },
      });
    } finally {
      receiver.answer = () => ({ status: 202 });
    }
  });

  it('two instances on one database deliver each event to the receiver once', async () => {
    // Several instances need a PostgreSQL server and Redis, whichever database the suite runs on.
    const database = await createTestDatabase(POSTGRES);
    const shared = { ...env, REDIS_URL: REDIS };
    const first = await createTestApp({ env: shared, database });
    const second = await createTestApp({ env: shared, database });
    try {
      const servers = [first, second].map((app) => app.app.getHttpServer() as App);
      await createPushStream(servers[0]);
      const users: LoggedIn[][] = [];
      for (let user = 0; user < 5; user++) users.push(await userWithSessions(servers[0], 2));
      const ended = users.flat().map((session) => session.sessionId);
      // Half the logouts on each instance, all at once.
      await Promise.all(
        users.map((sessions, index) =>
          request(servers[index % 2])
            .post('/auth/logout')
            .set('Authorization', `Bearer ${sessions[0].accessToken}`)
            .send({ scope: 'global' })
            .expect(200),
        ),
      );
      await receiver.until(() => ended.every((sid) => setsFor(sid).length > 0));
      const pushes = ended.flatMap((sid) => setsFor(sid));
      const jtis = pushes.map((push) => claimsOf(push.body).jti);
      expect(pushes).toHaveLength(ended.length);
      expect(new Set(jtis).size).toBe(ended.length);
    } finally {
      await second.close();
      await first.close();
      await database.drop();
    }
  });

  it('keeps at most SSF_PUSH_CONCURRENCY pushes in flight to a receiver across instances', async () => {
    const database = await createTestDatabase(POSTGRES);
    const shared = { ...env, REDIS_URL: REDIS, SSF_PUSH_CONCURRENCY: '1' };
    const instances = [
      await createTestApp({ env: shared, database }),
      await createTestApp({ env: shared, database }),
    ];
    try {
      const servers = instances.map((instance) => instance.app.getHttpServer() as App);
      const pushStream = await createPushStream(servers[0]);
      const sessions = await userWithSessions(servers[0], 4);
      const ours = new Set(sessions.map((session) => session.sessionId));
      // A slow receiver: each of these SETs is held unanswered until the test lets it through.
      const oursReceived = () =>
        sessions.reduce((count, session) => count + setsFor(session.sessionId).length, 0);
      receiver.hold = (push) =>
        push.path === '/events' && push.body !== '' && ours.has(sidOf(push));
      for (const [index, session] of sessions.entries()) {
        await request(servers[index % 2])
          .post('/auth/logout')
          .set('Authorization', `Bearer ${session.accessToken}`)
          .send({ scope: 'local' })
          .expect(200);
      }
      const leasedNow = async () => {
        const [{ leased }] = await instances[0].dataSource.query<{ leased: number }[]>(
          `SELECT count(*)::int AS leased FROM security_event_deliveries
           WHERE stream_id = $1 AND delivered_at IS NULL AND leased_by IS NOT NULL
             AND next_attempt_at > now()`,
          [pushStream],
        );
        return leased;
      };
      for (let delivered = 0; delivered < sessions.length; delivered++) {
        await receiver.until(() => receiver.holding > 0);
        // Both instances look for work while one push is held: neither may start another.
        await Promise.all(
          instances.map((instance) => instance.app.get(PushDeliveryWorker).trigger()),
        );
        expect(await leasedNow()).toBe(1);
        expect(receiver.holding).toBe(1);
        receiver.releaseOne();
        await receiver.until(() => oursReceived() === delivered + 1);
      }
      expect(sessions.map((session) => setsFor(session.sessionId).length)).toEqual([1, 1, 1, 1]);
    } finally {
      receiver.release();
      for (const instance of instances.reverse()) await instance.close();
      await database.drop();
    }
  });

  it('never sends a SET again while its push is still under way, even once its lease has run out', async () => {
    const [session] = await userWithSessions(server, 1);
    const delivery = async () => {
      const [row] = await t.dataSource.query<{ attempts: number; delivered: boolean }[]>(
        `SELECT d.attempts, d.delivered_at IS NOT NULL AS delivered
         FROM security_event_deliveries d JOIN security_events e ON e.id = d.event_id
         WHERE e.session_id = $1 AND d.stream_id = $2`,
        [session.sessionId, streamId],
      );
      return row;
    };
    receiver.hold = (push) => push.path === '/events' && sidOf(push) === session.sessionId;
    try {
      await logout(session);
      await receiver.until(() => receiver.holding > 0);
      // The service's clock jumps past the lease while the receiver still holds the push.
      t.clock.advance(61_000);
      await t.app.get(PushDeliveryWorker).trigger();
      expect(await delivery()).toEqual({ attempts: 1, delivered: false });
      receiver.release();
      while (!(await delivery()).delivered) await new Promise((done) => setTimeout(done, 20));
      await t.app.get(PushDeliveryWorker).trigger();
      expect(setsFor(session.sessionId)).toHaveLength(1);
      expect(await delivery()).toEqual({ attempts: 1, delivered: true });
    } finally {
      receiver.release();
    }
  });

  it('drops events a receiver never takes after SSF_UNDELIVERED_RETENTION, with a metric', async () => {
    receiver.answer = (push) => ({ status: push.path === '/events' ? 503 : 202 });
    try {
      const [session] = await userWithSessions(server, 1);
      await logout(session);
      // Both receivers were tried and how it went is recorded: retention does not race that.
      await receiver.until(
        () =>
          setsFor(session.sessionId).length > 0 && logoutTokensFor(session.sessionId).length > 0,
      );
      await t.app.get(PushDeliveryWorker).settle();
      t.clock.advance(8 * 24 * 3600_000);
      const dropped = await t.app.get(SecurityEventRetentionJob).run();
      expect(dropped).toBeGreaterThanOrEqual(1);
      const metrics = await request(server).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/ssf_events_dropped_total\{receiver="push-receiver"\} [1-9]/);
      const [left] = await t.dataSource.query<{ count: string }[]>(
        `SELECT count(*) FROM security_event_deliveries d JOIN security_events e ON e.id = d.event_id
         WHERE e.session_id = $1`,
        [session.sessionId],
      );
      expect(left.count).toBe('0');
    } finally {
      receiver.answer = () => ({ status: 202 });
    }
  });
});
