import request from 'supertest';
import { type App } from 'supertest/types';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { SessionExpiryJob } from '../../src/auth/services/session-expiry.job';
import { type LoggedIn, login, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const ADMIN = { email: 'outbox-admin@example.com', password: 'admin password for the outbox' };
const CLIENT = { id: 'outbox-client', secret: 'outbox-client-secret-0123456789' };
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';

interface EventRow {
  event_type: string;
  session_id: string | null;
  user_id: string;
  initiating_entity: string;
  reason: string;
  request_id: string | null;
  occurred_at: Date;
}

/**
 * Issue 10: every way a session ends records one security event per ended session in the
 * statement that ends it, and no event exists without its ending.
 */
describe('security event outbox', () => {
  let t: TestApp;
  let server: App;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        SERVICE_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
        REFRESH_TOKEN_REUSE_INTERVAL: '0s',
      },
    });
    server = t.app.getHttpServer();
    const response = await request(server).post('/auth/login').send(ADMIN).expect(200);
    adminToken = (response.body as { accessToken: string }).accessToken;
  });
  afterAll(() => t.close());

  const eventsOf = (userId: string): Promise<EventRow[]> =>
    t.dataSource.query(
      `SELECT event_type, session_id, user_id, initiating_entity, reason, request_id, occurred_at
       FROM security_events WHERE user_id = $1 ORDER BY event_type, session_id`,
      [userId],
    );
  const revokedSessions = async (userId: string) =>
    (await eventsOf(userId))
      .filter((event) => event.event_type === 'session-revoked')
      .map((event) => event.session_id)
      .sort();
  const endedSessions = async (userId: string): Promise<string[]> =>
    (
      await t.dataSource.query<{ id: string }[]>(
        'SELECT id FROM sessions WHERE user_id = $1 AND ended_at IS NOT NULL ORDER BY id',
        [userId],
      )
    ).map((row) => row.id);
  const ids = (sessions: LoggedIn[]) => sessions.map((session) => session.sessionId).sort();

  /** The whole database: every ended session has exactly one event, every event an ended session. */
  async function expectOutboxMatchesEndings(): Promise<void> {
    const [mismatch] = await t.dataSource.query<{ unmatched: string; duplicated: string }[]>(
      `SELECT
         (SELECT count(*) FROM sessions s FULL JOIN
            (SELECT session_id FROM security_events WHERE event_type = 'session-revoked') e
            ON e.session_id = s.id AND s.ended_at IS NOT NULL
          WHERE (s.ended_at IS NOT NULL OR e.session_id IS NOT NULL)
            AND (s.id IS NULL OR e.session_id IS NULL)) AS unmatched,
         (SELECT count(*) FROM (SELECT session_id FROM security_events
            WHERE event_type = 'session-revoked' GROUP BY session_id HAVING count(*) > 1) d)
           AS duplicated`,
    );
    expect(mismatch).toEqual({ unmatched: '0', duplicated: '0' });
  }
  afterEach(expectOutboxMatchesEndings);

  it('a global logout records one user-initiated event per ended session, with the request id', async () => {
    const sessions = await userWithSessions(server, 3);
    const [bystander] = await userWithSessions(server, 1);
    const response = await request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${sessions[0].accessToken}`)
      .set('X-Request-Id', 'outbox-global-logout')
      .send({ scope: 'global' })
      .expect(200);
    const events = await eventsOf(sessions[0].userId);
    expect(events.map((event) => event.session_id).sort()).toEqual(ids(sessions));
    for (const event of events) {
      expect(event).toMatchObject({
        event_type: 'session-revoked',
        user_id: sessions[0].userId,
        initiating_entity: 'user',
        request_id: 'outbox-global-logout',
      });
      expect(event.occurred_at.toISOString()).toBe(
        (response.body as { timestamp: string }).timestamp,
      );
    }
    expect(await eventsOf(bystander.userId)).toEqual([]);
  });

  it('local and others logouts record events for exactly the sessions they end', async () => {
    const [first, second, third] = await userWithSessions(server, 3);
    await request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${first.accessToken}`)
      .send({ scope: 'local' })
      .expect(200);
    expect(await revokedSessions(first.userId)).toEqual([first.sessionId]);
    await request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${second.accessToken}`)
      .send({ scope: 'others' })
      .expect(200);
    expect(await revokedSessions(first.userId)).toEqual(ids([first, third]));
    // Idempotent logout with an ended session's token ends nothing and records nothing.
    await request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${first.accessToken}`)
      .send({ scope: 'global' })
      .expect(200);
    expect(await revokedSessions(first.userId)).toEqual(ids([first, third]));
  });

  it('an admin logout records admin-initiated events', async () => {
    const sessions = await userWithSessions(server, 2);
    await request(server)
      .post(`/admin/users/${sessions[0].userId}/logout`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ reason: 'compromised laptop' })
      .expect(200);
    const events = await eventsOf(sessions[0].userId);
    expect(events.map((event) => event.session_id).sort()).toEqual(ids(sessions));
    expect(events.every((event) => event.initiating_entity === 'admin')).toBe(true);
  });

  it('an admin ending one session, a suspension and the emergency brake record admin-initiated events', async () => {
    const admin = { Authorization: `Bearer ${adminToken}` };
    const [one, two] = await userWithSessions(server, 2);
    await request(server).delete(`/admin/sessions/${one.sessionId}`).set(admin).expect(204);
    expect(await eventsOf(one.userId)).toEqual([
      expect.objectContaining({ session_id: one.sessionId, initiating_entity: 'admin' }),
    ]);
    await request(server)
      .post(`/admin/users/${one.userId}/suspend`)
      .set(admin)
      .send({ reason: 'fraud review' })
      .expect(200);
    expect(await revokedSessions(one.userId)).toEqual(ids([one, two]));
    expect((await eventsOf(one.userId)).every((event) => event.initiating_entity === 'admin')).toBe(
      true,
    );

    // The brake, aimed at sessions started over half an hour ago: only this one is that old.
    const [old] = await userWithSessions(server, 1);
    await t.dataSource.query(
      `UPDATE sessions SET created_at = created_at - interval '1 hour' WHERE id = $1`,
      [old.sessionId],
    );
    const issuedBefore = new Date(Date.now() - 30 * 60_000).toISOString();
    await request(server)
      .post('/admin/sessions/revoke-all')
      .set(admin)
      .send({ reason: 'key leak', issuedBefore })
      .expect(200);
    expect(await eventsOf(old.userId)).toEqual([
      expect.objectContaining({ session_id: old.sessionId, initiating_entity: 'admin' }),
    ]);
  });

  it('deleting a session and an RFC 7009 revocation each record one event', async () => {
    const [first, second, third] = await userWithSessions(server, 3);
    await request(server)
      .delete(`/auth/sessions/${second.sessionId}`)
      .set('Authorization', `Bearer ${first.accessToken}`)
      .expect(204);
    expect(await eventsOf(first.userId)).toEqual([
      expect.objectContaining({ session_id: second.sessionId, initiating_entity: 'user' }),
    ]);
    await request(server)
      .post('/oauth/revoke')
      .auth(CLIENT.id, CLIENT.secret)
      .type('form')
      .send({ token: third.refreshToken })
      .expect(200);
    expect(await revokedSessions(first.userId)).toEqual(ids([second, third]));
    const revoked = (await eventsOf(first.userId)).find(
      (event) => event.session_id === third.sessionId,
    );
    expect(revoked?.initiating_entity).toBe('system');
  });

  it('refresh-token reuse records a policy-initiated event', async () => {
    const [session] = await userWithSessions(server, 1);
    await request(server)
      .post('/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(200);
    await request(server)
      .post('/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(401);
    expect(await eventsOf(session.userId)).toEqual([
      expect.objectContaining({ session_id: session.sessionId, initiating_entity: 'policy' }),
    ]);
  });

  it('a password change records the other sessions and one credential-change in its transaction', async () => {
    const [current, other] = await userWithSessions(server, 2);
    await request(server)
      .post('/auth/password')
      .set('Authorization', `Bearer ${current.accessToken}`)
      .send({ currentPassword: current.password, newPassword: 'a brand new passphrase 42' })
      .expect(200);
    expect(await eventsOf(current.userId)).toEqual([
      expect.objectContaining({
        event_type: 'credential-change',
        session_id: null,
        initiating_entity: 'user',
      }),
      expect.objectContaining({ event_type: 'session-revoked', session_id: other.sessionId }),
    ]);
  });

  it('the expiry sweep records one event per expired session', async () => {
    const [session] = await userWithSessions(server, 1);
    const live = await login(server, session);
    await t.dataSource.query(
      `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [session.sessionId],
    );
    await t.app.get(SessionExpiryJob).sweep();
    expect(await revokedSessions(session.userId)).toEqual([session.sessionId]);
    expect(await endedSessions(session.userId)).toEqual([session.sessionId]);
    expect(live.sessionId).not.toBe(session.sessionId);
  });

  it('fans each event out to the receivers that take it, in the same statement', async () => {
    const [stream] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO ssf_streams (client_id, kind, delivery_method, events_requested)
       VALUES ('fan-out', 'ssf', 'urn:ietf:rfc:8936', $1) RETURNING id`,
      [[`${CAEP}session-revoked`]],
    );
    const [paused] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO ssf_streams (client_id, kind, delivery_method, events_requested, status)
       VALUES ('fan-out-paused', 'ssf', 'urn:ietf:rfc:8936', $1, 'paused') RETURNING id`,
      [[`${CAEP}credential-change`]],
    );
    await t.dataSource.query(
      `INSERT INTO ssf_streams (client_id, kind, delivery_method, events_requested, status)
       VALUES ('fan-out-disabled', 'ssf', 'urn:ietf:rfc:8936', $1, 'disabled')`,
      [[`${CAEP}session-revoked`, `${CAEP}credential-change`]],
    );
    try {
      const [current, other] = await userWithSessions(server, 2);
      await request(server)
        .post('/auth/password')
        .set('Authorization', `Bearer ${current.accessToken}`)
        .send({ currentPassword: current.password, newPassword: 'another new passphrase 7' })
        .expect(200);
      const deliveries = await t.dataSource.query<{ stream_id: string; event_type: string }[]>(
        `SELECT d.stream_id, e.event_type FROM security_event_deliveries d
         JOIN security_events e ON e.id = d.event_id WHERE e.user_id = $1 ORDER BY e.event_type`,
        [current.userId],
      );
      expect(deliveries).toEqual([
        { stream_id: paused.id, event_type: 'credential-change' },
        { stream_id: stream.id, event_type: 'session-revoked' },
      ]);
      expect(other.userId).toBe(current.userId);
    } finally {
      await t.dataSource.query(`DELETE FROM ssf_streams WHERE client_id LIKE 'fan-out%'`);
    }
  });

  it('a global logout of 1,000 sessions takes as many statements as one of a single session', async () => {
    const statementsOfGlobalLogout = async (extraSessions: number) => {
      const [session] = await userWithSessions(server, 1);
      await t.dataSource.query(
        `INSERT INTO sessions (user_id, expires_at)
         SELECT $1, now() + interval '1 day' FROM generate_series(1, $2::int)`,
        [session.userId, extraSessions],
      );
      const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
      try {
        await request(server)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${session.accessToken}`)
          .send({ scope: 'global' })
          .expect(200);
        expect((await revokedSessions(session.userId)).length).toBe(extraSessions + 1);
        // Background jobs (expiry sweep, revocation sync) may run meanwhile: their statements
        // are told apart by what they do, and only the request's writes are counted.
        return (
          spy.mock.calls
            .map(([query]) => query)
            // A leading comment (the prepared-statement marker) is not the statement.
            .filter((query) => /^\s*(\/\*.*?\*\/\s*)?(WITH|INSERT|UPDATE|DELETE)\b/i.test(query))
            .filter((query) => !query.includes('session_expired'))
        );
      } finally {
        spy.mockRestore();
      }
    };
    const single = await statementsOfGlobalLogout(0);
    const thousand = await statementsOfGlobalLogout(999);
    expect(single.length).toBeGreaterThan(0);
    expect(thousand.length).toBe(single.length);
    expect(thousand.filter((query) => query.includes('INSERT INTO security_events'))).toHaveLength(
      1,
    );
  });

  it('a logout whose event cannot be recorded fails and ends nothing', async () => {
    const [session] = await userWithSessions(server, 1);
    await t.dataSource.query(`
      CREATE FUNCTION refuse_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$`);
    await t.dataSource.query(
      'CREATE TRIGGER refuse_security_event BEFORE INSERT ON security_events FOR EACH ROW EXECUTE FUNCTION refuse_security_event()',
    );
    try {
      await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(500);
    } finally {
      await t.dataSource.query('DROP TRIGGER refuse_security_event ON security_events');
      await t.dataSource.query('DROP FUNCTION refuse_security_event()');
    }
    await request(server)
      .get('/auth/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(200);
    expect(await endedSessions(session.userId)).toEqual([]);
  });

  it('the admin actions (suspend, ending one session) record admin-initiated events', async () => {
    const sessions = await userWithSessions(server, 3);
    await request(server)
      .delete(`/admin/sessions/${sessions[2].sessionId}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ reason: 'lost phone' })
      .expect(204);
    expect(await revokedSessions(sessions[0].userId)).toEqual([sessions[2].sessionId]);
    await request(server)
      .post(`/admin/users/${sessions[0].userId}/suspend`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ reason: 'fraud investigation' })
      .expect(200);
    const events = await eventsOf(sessions[0].userId);
    expect(events.map((event) => event.session_id).sort()).toEqual(ids(sessions));
    expect(events.every((event) => event.initiating_entity === 'admin')).toBe(true);
  });

  // Last: the emergency brake ends every session of this app's database, the admin's included.
  it('the emergency brake records one event per session it ends', async () => {
    await userWithSessions(server, 3);
    const [before] = await t.dataSource.query<{ count: string }[]>(
      `SELECT count(*) FROM security_events WHERE event_type = 'session-revoked'`,
    );
    const response = await request(server)
      .post('/admin/sessions/revoke-all')
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ reason: 'signing key leaked' })
      .expect(200);
    const { revokedSessions: ended } = response.body as { revokedSessions: number };
    expect(ended).toBeGreaterThanOrEqual(4);
    const [after] = await t.dataSource.query<{ count: string }[]>(
      `SELECT count(*) FROM security_events WHERE event_type = 'session-revoked'`,
    );
    expect(Number(after.count) - Number(before.count)).toBe(ended);
  });
});
