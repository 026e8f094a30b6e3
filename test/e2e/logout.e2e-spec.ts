import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { type App } from 'supertest/types';
import { type LoggedIn, login, registerUser, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { signWithServiceKey } from '../utils/service-token';

interface AuditRow {
  action: string;
  outcome: string;
  reason: string | null;
  scope: string | null;
  actor_user_id: string | null;
  session_id: string | null;
  occurred_at: Date;
  request_id: string | null;
}

describe('POST /auth/logout', () => {
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    t = await createTestApp();
    server = t.app.getHttpServer();
  });
  afterAll(() => t.close());

  const logout = (token: string | undefined, body?: object) => {
    const call = request(server).post('/auth/logout');
    if (token !== undefined) call.set('Authorization', `Bearer ${token}`);
    return body === undefined ? call : call.send(body);
  };
  const meStatus = async (session: LoggedIn) =>
    (await request(server).get('/auth/me').set('Authorization', `Bearer ${session.accessToken}`))
      .status;
  const refreshStatus = async (session: LoggedIn) =>
    (await request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken }))
      .status;
  const isLive = async (session: LoggedIn) => (await meStatus(session)) === 200;
  const auditFor = (userId: string): Promise<AuditRow[]> =>
    t.dataSource.query(
      `SELECT action, outcome, reason, scope, actor_user_id, session_id, occurred_at, request_id
       FROM audit_events WHERE action = 'logout' AND actor_user_id = $1 ORDER BY occurred_at`,
      [userId],
    );

  /** Three sessions of one user, one session of another. */
  async function scenario() {
    const [first, second, third] = await userWithSessions(server, 3);
    const [stranger] = await userWithSessions(server, 1);
    return { first, second, third, stranger };
  }

  describe('scopes', () => {
    it('local ends only the presented session', async () => {
      const { first, second, third, stranger } = await scenario();
      const response = await logout(first.accessToken, { scope: 'local' }).expect(200);
      expect(response.body).toEqual({
        message: expect.any(String),
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(await meStatus(first)).toBe(401);
      expect(await refreshStatus(first)).toBe(401);
      for (const live of [second, third, stranger]) expect(await isLive(live)).toBe(true);
      expect(await refreshStatus(second)).toBe(200);
    });

    it('others ends every session but the presented one', async () => {
      const { first, second, third, stranger } = await scenario();
      await logout(first.accessToken, { scope: 'others' }).expect(200);
      expect(await isLive(first)).toBe(true);
      expect(await refreshStatus(first)).toBe(200);
      for (const ended of [second, third]) {
        expect(await meStatus(ended)).toBe(401);
        expect(await refreshStatus(ended)).toBe(401);
      }
      expect(await isLive(stranger)).toBe(true);
    });

    it.each([
      ['global', { scope: 'global' }],
      ['the default (no body)', undefined],
      ['the default (empty object)', {}],
    ])('%s ends every session of the user and none of another user', async (_name, body) => {
      const { first, second, third, stranger } = await scenario();
      const response = await logout(first.accessToken, body).expect(200);
      expect(response.body.message).toMatch(/all sessions/i);
      for (const ended of [first, second, third]) {
        expect(await meStatus(ended)).toBe(401);
        expect(await refreshStatus(ended)).toBe(401);
      }
      expect(await isLive(stranger)).toBe(true);
      expect(await refreshStatus(stranger)).toBe(200);
    });

    it('revokes the refresh-token rows and clears reauthentication state of ended sessions only', async () => {
      const { first, second, third } = await scenario();
      await t.dataSource.query(
        'UPDATE sessions SET reauthenticated_at = now() WHERE id = ANY($1)',
        [[first.sessionId, second.sessionId]],
      );
      await logout(first.accessToken, { scope: 'others' }).expect(200);
      const rows: {
        id: string;
        ended_at: Date | null;
        reauthenticated_at: Date | null;
        live_tokens: string;
      }[] = await t.dataSource.query(
        `SELECT s.id, s.ended_at, s.reauthenticated_at,
                (SELECT count(*) FROM refresh_tokens r WHERE r.session_id = s.id AND r.revoked_at IS NULL) AS live_tokens
         FROM sessions s WHERE s.id = ANY($1)`,
        [[first.sessionId, second.sessionId, third.sessionId]],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(byId.get(first.sessionId)).toMatchObject({ ended_at: null, live_tokens: '1' });
      expect(byId.get(first.sessionId)?.reauthenticated_at).not.toBeNull();
      for (const id of [second.sessionId, third.sessionId]) {
        expect(byId.get(id)).toMatchObject({ reauthenticated_at: null, live_tokens: '0' });
        expect(byId.get(id)?.ended_at).toBeInstanceOf(Date);
      }
    });

    it('answers with the same instant as its audit event and as the sessions’ end', async () => {
      const [session] = await userWithSessions(server, 1);
      const response = await logout(session.accessToken, { scope: 'local' })
        .set('X-Request-Id', 'logout-timestamp-check')
        .expect(200);
      const [event] = await auditFor(session.userId);
      expect(event).toMatchObject({
        outcome: 'success',
        scope: 'local',
        session_id: session.sessionId,
        request_id: 'logout-timestamp-check',
      });
      expect(event.occurred_at.toISOString()).toBe(response.body.timestamp);
      const [row]: { ended_at: Date }[] = await t.dataSource.query(
        'SELECT ended_at FROM sessions WHERE id = $1',
        [session.sessionId],
      );
      expect(row.ended_at.toISOString()).toBe(response.body.timestamp);
    });
  });

  describe('idempotency', () => {
    it('answers 200 again for a token of an ended session and revokes nothing more', async () => {
      const { first, second } = await scenario();
      await logout(first.accessToken, { scope: 'local' }).expect(200);
      // A global logout presented with the ended session's token must not widen into the live ones.
      await logout(first.accessToken, { scope: 'global' }).expect(200);
      await logout(first.accessToken).expect(200);
      expect(await isLive(second)).toBe(true);
      const events = await auditFor(first.userId);
      expect(events.map((event) => event.outcome)).toEqual(['success', 'success', 'success']);
    });
  });

  describe('refusals', () => {
    it('401 without a token, with the RFC 6750 challenge and an audit row', async () => {
      const response = await logout(undefined).set('X-Request-Id', 'no-token-logout').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      const rows: AuditRow[] = await t.dataSource.query(
        "SELECT * FROM audit_events WHERE request_id = 'no-token-logout'",
      );
      expect(rows).toEqual([
        expect.objectContaining({ action: 'logout', outcome: 'failure', reason: 'missing_token' }),
      ]);
    });

    it.each([
      ['malformed', () => Promise.resolve('not-a-jwt')],
      [
        'forged (tampered payload)',
        async () => {
          const [session] = await userWithSessions(server, 1);
          const [header, payload, signature] = session.accessToken.split('.');
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
            string,
            unknown
          >;
          const tampered = Buffer.from(
            JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
          ).toString('base64url');
          return `${header}.${tampered}.${signature}`;
        },
      ],
      [
        'expired',
        async () => {
          const [session] = await userWithSessions(server, 1);
          return signWithServiceKey(
            t.dataSource,
            { sub: session.userId, sid: session.sessionId },
            { expiresIn: -10 },
          );
        },
      ],
    ])('401 for a %s token, audited, revoking nothing', async (name, makeToken) => {
      const [bystander] = await userWithSessions(server, 1);
      const token = await makeToken();
      const requestId = `bad-token-${name.replace(/\W+/g, '-')}`;
      const response = await logout(token).set('X-Request-Id', requestId).expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      const rows: AuditRow[] = await t.dataSource.query(
        'SELECT * FROM audit_events WHERE request_id = $1',
        [requestId],
      );
      expect(rows).toEqual([
        expect.objectContaining({ action: 'logout', outcome: 'failure', reason: 'invalid_token' }),
      ]);
      expect(await isLive(bystander)).toBe(true);
    });

    // The guard does not look the session up on logout: the ending statement is the check.
    it.each(['global', 'local', 'others'] as const)(
      "401 (%s) for a well-signed token of a session that is not the user's, audited once, ending nothing",
      async (scope) => {
        const [own, sibling] = await userWithSessions(server, 2);
        const [victim] = await userWithSessions(server, 1);
        for (const [which, sid] of [
          ['never-issued', randomUUID()],
          ['another-users', victim.sessionId],
        ]) {
          const token = await signWithServiceKey(t.dataSource, { sub: own.userId, sid });
          const requestId = `foreign-session-${scope}-${which}`;
          const response = await logout(token, { scope })
            .set('X-Request-Id', requestId)
            .expect(401);
          expect(response.body.code).toBe('invalid_token');
          expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
          expect(
            await t.dataSource.query(
              'SELECT action, outcome, reason FROM audit_events WHERE request_id = $1',
              [requestId],
            ),
          ).toEqual([{ action: 'logout', outcome: 'failure', reason: 'invalid_token' }]);
        }
        for (const live of [own, sibling, victim]) expect(await isLive(live)).toBe(true);
      },
    );

    it('400 for an unknown scope or unknown field, audited, and the session stays live', async () => {
      const [session] = await userWithSessions(server, 1);
      const badScope = await logout(session.accessToken, { scope: 'everything' }).expect(400);
      expect(badScope.body.message).toMatch(/scope/);
      const unknown = await logout(session.accessToken, { scope: 'local', extra: 1 }).expect(400);
      expect(unknown.body.message).toMatch(/extra/);
      expect(await isLive(session)).toBe(true);
      const events = await auditFor(session.userId);
      expect(events).toEqual([
        expect.objectContaining({ outcome: 'failure', reason: 'validation_failed' }),
        expect.objectContaining({
          outcome: 'failure',
          reason: 'validation_failed',
          scope: 'local',
        }),
      ]);
    });

    it('400 for a well-signed token without sid: a scope is never silently widened', async () => {
      const [session, other] = await userWithSessions(server, 2);
      const token = await signWithServiceKey(t.dataSource, { sub: session.userId });
      const response = await logout(token, { scope: 'global' }).expect(400);
      expect(response.body.code).toBe('session_required');
      expect(await isLive(session)).toBe(true);
      expect(await isLive(other)).toBe(true);
      expect(await auditFor(session.userId)).toEqual([
        expect.objectContaining({ outcome: 'failure', reason: 'session_required' }),
      ]);
    });
  });

  describe('rate limit: 20 per 5 minutes per user', () => {
    it('answers 429 to the 21st attempt of a user across all of its sessions, revoking nothing', async () => {
      const sessions = await userWithSessions(server, 2);
      const [bystander] = await userWithSessions(server, 1);
      for (let attempt = 1; attempt <= 20; attempt++) {
        // Alternate sessions: one user's devices share a bucket. The first ends session 0; the rest are idempotent.
        const response = await logout(sessions[attempt % 2].accessToken, { scope: 'local' }).expect(
          200,
        );
        expect(response.headers['x-ratelimit-limit']).toBe('20');
        expect(response.headers['x-ratelimit-remaining']).toBe(String(20 - attempt));
        expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(300);
      }
      await logout(sessions[1].accessToken, { scope: 'local' }); // the 20th above ended session 0; 1 is ended by attempt 1
      const [fresh] = [await login(server, sessions[0], 'after-limit')];
      const refused = await logout(fresh.accessToken, { scope: 'global' }).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      expect(await isLive(fresh)).toBe(true);
      const refusals = (await auditFor(fresh.userId)).filter(
        (event) => event.reason === 'rate_limited',
      );
      expect(refusals.length).toBe(2);

      // Another user has a bucket of their own.
      const other = await logout(bystander.accessToken, { scope: 'local' }).expect(200);
      expect(other.headers['x-ratelimit-remaining']).toBe('19');
    });

    it('answers a malformed token with 401 and counts it against the client IP', async () => {
      const clientIp = `2001:db8::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
      const isolated = await createTestApp({
        env: { LOGOUT_RATE_LIMIT: '2', TRUST_PROXY: 'true' },
      });
      try {
        const isolatedServer = isolated.app.getHttpServer() as App;
        const malformed = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IngifQ.bm90IGpzb24.AAAA';
        const attempt = () =>
          request(isolatedServer)
            .post('/auth/logout')
            .set('X-Forwarded-For', clientIp)
            .set('Authorization', `Bearer ${malformed}`);
        const first = await attempt().expect(401);
        expect(first.body).toMatchObject({ statusCode: 401, code: 'invalid_token' });
        expect(first.headers['x-ratelimit-remaining']).toBe('1');
        await attempt().expect(401);
        await attempt().expect(429);
      } finally {
        await isolated.close();
      }
    });

    it('limits attempts without a valid token per client IP', async () => {
      // A client address of this test's own (honoured through TRUST_PROXY): a shared Redis
      // may still hold counters of earlier runs for 127.0.0.1.
      const clientIp = `2001:db8::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
      const isolated = await createTestApp({
        env: { LOGOUT_RATE_LIMIT: '3', TRUST_PROXY: 'true' },
      });
      try {
        const isolatedServer = isolated.app.getHttpServer() as App;
        for (let attempt = 0; attempt < 3; attempt++) {
          await request(isolatedServer)
            .post('/auth/logout')
            .set('X-Forwarded-For', clientIp)
            .set('Authorization', 'Bearer garbage')
            .expect(401);
        }
        const refused = await request(isolatedServer)
          .post('/auth/logout')
          .set('X-Forwarded-For', clientIp)
          .set('Authorization', 'Bearer garbage')
          .expect(429);
        expect(refused.headers['retry-after']).toBeDefined();
        // A malformed token (header with typ, payload not JSON) is refused the same way:
        // counted against the IP and answered 429 here, never a 500 that skips the limit.
        for (const malformed of [
          'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IngifQ.bm90IGpzb24.AAAA',
          'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.bm90IGpzb24.AAAA',
        ]) {
          await request(isolatedServer)
            .post('/auth/logout')
            .set('X-Forwarded-For', clientIp)
            .set('Authorization', `Bearer ${malformed}`)
            .expect(429);
        }
      } finally {
        await isolated.close();
      }
    });
  });

  describe('racing refreshes', () => {
    it('no refresh token of the session works after a logout raced by 20 refreshes', async () => {
      const [session] = await userWithSessions(server, 1);
      const refreshes = Array.from({ length: 20 }, () =>
        request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken }),
      );
      const [logoutResponse, ...refreshResponses] = await Promise.all([
        logout(session.accessToken, { scope: 'local' }),
        ...refreshes,
      ]);
      expect([logoutResponse.status, logoutResponse.body]).toEqual([200, expect.anything()]);
      const issued = refreshResponses
        .filter((response) => response.status === 200)
        .map((response) => response.body as { refreshToken: string; accessToken: string });
      expect(issued.length).toBeLessThanOrEqual(1);
      for (const tokens of issued) {
        await request(server)
          .post('/auth/refresh')
          .send({ refreshToken: tokens.refreshToken })
          .expect(401);
        await request(server)
          .get('/auth/me')
          .set('Authorization', `Bearer ${tokens.accessToken}`)
          .expect(401);
      }
      await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
      const [{ live }]: { live: string }[] = await t.dataSource.query(
        `SELECT count(*) AS live FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
         WHERE s.id = $1 AND (s.ended_at IS NULL OR (r.revoked_at IS NULL AND r.retired_at IS NULL AND false))`,
        [session.sessionId],
      );
      expect(Number(live)).toBe(0);
    });
  });
});

describe('POST /auth/logout: the revocation and its audit event commit together', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('fails, revoking nothing, when the audit event cannot be written', async () => {
    const server = t.app.getHttpServer() as App;
    const user = await registerUser(server);
    const session = await login(server, user);
    await t.dataSource.query(`
      CREATE FUNCTION refuse_logout_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'logout' AND NEW.outcome = 'success' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$`);
    await t.dataSource.query(
      'CREATE TRIGGER refuse_logout_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_logout_audit()',
    );
    try {
      const response = await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(500);
      expect(JSON.stringify(response.body)).not.toMatch(
        /audit store unavailable|stack|SELECT|INSERT/,
      );
      await request(server)
        .get('/auth/me')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(200);
      await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
    } finally {
      await t.dataSource.query('DROP TRIGGER refuse_logout_audit ON audit_events');
    }
  });
});
