import request from 'supertest';
import { type App } from 'supertest/types';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { SessionExpiryJob } from '../../src/auth/services/session-expiry.job';
import { type LoggedIn, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const DAY = 86_400_000;

const me = (server: App, session: LoggedIn) =>
  request(server).get('/auth/me').set('Authorization', `Bearer ${session.accessToken}`);

describe('revocation reaches access tokens', () => {
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    t = await createTestApp();
    server = t.app.getHttpServer();
  });
  afterAll(() => t.close());

  it('costs no database query per request in steady state', async () => {
    const [live, ended] = await userWithSessions(server, 2);
    await request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${ended.accessToken}`)
      .send({ scope: 'local' })
      .expect(200);
    // Steady state: the first request confirms the session live (one query), later ones do not ask.
    await me(server, live).expect(200);
    const query = jest.spyOn(PostgresQueryRunner.prototype, 'query');
    // Timers run statements of their own, whatever the requests do: the security-event
    // delivery worker looks at its queue, and the revocation sync copies recent endings from
    // PostgreSQL every 5 s. What is counted here is the request path's statements.
    const timerStatement = (sql: string) =>
      /\b(ssf_streams|security_events?|security_event_deliveries)\b/.test(sql) ||
      sql === 'SELECT id FROM sessions WHERE ended_at > $1';
    const requestPathStatements = () =>
      query.mock.calls.map(([sql]) => sql).filter((sql) => !timerStatement(sql));
    try {
      for (let i = 0; i < 25; i++) await me(server, live).expect(200);
      // Exactly the handler's own user lookup per request: the revocation check adds nothing.
      expect(requestPathStatements()).toHaveLength(25);
      for (const sql of requestPathStatements()) expect(sql).toMatch(/FROM "?users"?/);

      query.mockClear();
      for (let i = 0; i < 25; i++) await me(server, ended).expect(401);
      expect(requestPathStatements()).toEqual([]);
    } finally {
      query.mockRestore();
    }
  });

  it('ends access tokens of a session whose refresh token was reused', async () => {
    const reuse = await createTestApp({ env: { REFRESH_TOKEN_REUSE_INTERVAL: '0s' } });
    try {
      const reuseServer = reuse.app.getHttpServer() as App;
      const [session] = await userWithSessions(reuseServer, 1);
      const rotated = await request(reuseServer)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
      await request(reuseServer)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
      for (const token of [session.accessToken, rotated.body.accessToken as string]) {
        await request(reuseServer)
          .get('/auth/me')
          .set('Authorization', `Bearer ${token}`)
          .expect(401);
      }
    } finally {
      await reuse.close();
    }
  });

  it('ends sessions past their lifetime or idle timeout in the sweep, audited, tokens kept as revoked', async () => {
    const [idle] = await userWithSessions(server, 1);
    t.clock.advance(8 * DAY);
    const [fresh] = await userWithSessions(server, 1);
    const ended = await t.app.get(SessionExpiryJob).sweep();
    expect(ended).toBeGreaterThanOrEqual(1);
    await me(server, idle).expect(401);
    await me(server, fresh).expect(200);
    const [row]: { end_reason: string; tokens: string; revoked: string }[] =
      await t.dataSource.query(
        `SELECT s.end_reason,
              (SELECT count(*) FROM refresh_tokens r WHERE r.session_id = s.id) AS tokens,
              (SELECT count(*) FROM refresh_tokens r WHERE r.session_id = s.id AND r.revoked_at IS NOT NULL) AS revoked
       FROM sessions s WHERE s.id = $1`,
        [idle.sessionId],
      );
    expect(row).toEqual({ end_reason: 'idle', tokens: '1', revoked: '1' });
    const audit: unknown[] = await t.dataSource.query(
      "SELECT 1 FROM audit_events WHERE action = 'session_expired' AND session_id = $1",
      [idle.sessionId],
    );
    expect(audit).toHaveLength(1);
    await request(server)
      .post('/auth/refresh')
      .send({ refreshToken: idle.refreshToken })
      .expect(401);
  });
});

describe('revocation after a restart', () => {
  it('still refuses tokens of sessions ended before the restart (PostgreSQL is the source of truth)', async () => {
    const first = await createTestApp();
    const [ended, live] = await userWithSessions(first.app.getHttpServer(), 2);
    await request(first.app.getHttpServer() as App)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${ended.accessToken}`)
      .send({ scope: 'local' })
      .expect(200);
    await first.app.close();

    const second = await createTestApp({ database: first.database });
    try {
      const server = second.app.getHttpServer() as App;
      await me(server, ended).expect(401);
      await me(server, live).expect(200);
    } finally {
      await second.close();
      await first.database.drop();
    }
  });
});

describe('ACCESS_TOKEN_REVOCATION_CHECK=false', () => {
  it('keeps verification stateless: an ended session’s access token works until it expires', async () => {
    const t = await createTestApp({ env: { ACCESS_TOKEN_REVOCATION_CHECK: 'false' } });
    try {
      const server = t.app.getHttpServer() as App;
      const [session] = await userWithSessions(server, 1);
      await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(200);
      await me(server, session).expect(200);
      await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
    } finally {
      await t.close();
    }
  });
});
