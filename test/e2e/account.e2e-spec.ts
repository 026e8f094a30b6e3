import { randomBytes, randomUUID } from 'node:crypto';
import request, { type Response } from 'supertest';
import { type App } from 'supertest/types';
import { type LoggedIn, registerUser } from '../factories/session.factory';
import { expectContractError } from '../utils/contract-error';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const NEW_PASSWORD = 'a completely new passphrase';

/** A /64 of the documentation range no other test (or earlier run, on a shared Redis) uses. */
const uniqueNetwork = (): string =>
  `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
/** A client address of its own: rate limits per IP can never be shared between tests. */
const uniqueIp = (): string => `${uniqueNetwork()}::1`;

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

interface AuditRow {
  action: string;
  outcome: string;
  actor_user_id: string | null;
  subject_user_id: string | null;
  session_id: string | null;
  scope: string | null;
  reason: string | null;
  occurred_at: Date;
}

describe('account security', () => {
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    // TRUST_PROXY: each test sends its own client address in X-Forwarded-For.
    t = await createTestApp({ env: { TRUST_PROXY: 'true' } });
    server = t.app.getHttpServer();
  });
  afterAll(() => t.close());

  const bearer = (session: LoggedIn) => `Bearer ${session.accessToken}`;

  /** `POST /auth/login` from a client address of its own; the caller asserts the status. */
  const loginRequest = (email: string, password: string, ip = uniqueIp(), userAgent = 'test') =>
    request(server)
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .set('User-Agent', userAgent)
      .send({ email, password });

  async function signIn(
    user: { userId: string; email: string; password: string },
    options: { ip?: string; userAgent?: string } = {},
  ): Promise<LoggedIn & { response: Response }> {
    const response = await loginRequest(user.email, user.password, options.ip, options.userAgent);
    expect(response.status).toBe(200);
    const body = response.body as { sessionId: string; accessToken: string; refreshToken: string };
    return { ...user, ...body, response };
  }

  /** A fresh user signed in on `devices` sessions, each from its own address and User-Agent. */
  async function userWithSessions(devices: number): Promise<LoggedIn[]> {
    const user = await registerUser(server);
    const sessions: LoggedIn[] = [];
    for (let device = 0; device < devices; device++)
      sessions.push(await signIn(user, { userAgent: `device-${device}` }));
    return sessions;
  }

  const me = (session: LoggedIn) =>
    request(server).get('/auth/me').set('Authorization', bearer(session));
  const meStatus = async (session: LoggedIn) => (await me(session)).status;
  const refreshStatus = async (session: LoggedIn) =>
    (await request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken }))
      .status;
  const reauthenticate = (session: LoggedIn, body: object) =>
    request(server).post('/auth/reauthenticate').set('Authorization', bearer(session)).send(body);
  const changePassword = (session: LoggedIn, body: object) =>
    request(server).post('/auth/password').set('Authorization', bearer(session)).send(body);
  const sessionsOf = (session: LoggedIn) =>
    request(server).get('/auth/sessions').set('Authorization', bearer(session));
  const revoke = (session: LoggedIn, id: string) =>
    request(server).delete(`/auth/sessions/${id}`).set('Authorization', bearer(session));
  const logout = (session: LoggedIn, scope: string) =>
    request(server).post('/auth/logout').set('Authorization', bearer(session)).send({ scope });
  const auditOf = (userId: string, action: string): Promise<AuditRow[]> =>
    t.dataSource.query(
      `SELECT action, outcome, actor_user_id, subject_user_id, session_id, scope, reason, occurred_at
       FROM audit_events WHERE actor_user_id = $1 AND action = $2 ORDER BY occurred_at, id`,
      [userId, action],
    );
  const passwordHashOf = async (userId: string): Promise<string> => {
    const [row]: { password_hash: string }[] = await t.dataSource.query(
      'SELECT password_hash FROM users WHERE id = $1',
      [userId],
    );
    return row.password_hash;
  };

  describe('POST /auth/reauthenticate', () => {
    it('gives a new access token for the same session with a fresh auth_time, kept by refresh', async () => {
      const [session] = await userWithSessions(1);
      const before = claimsOf(session.accessToken);
      t.clock.advance(5_000);

      const response = await reauthenticate(session, { password: session.password }).expect(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        expiresIn: 900,
        reauthenticatedAt: expect.stringMatching(ISO_MS),
      });
      const reauthenticatedAt = response.body.reauthenticatedAt as string;
      const after = claimsOf(response.body.accessToken as string);
      expect(after).toMatchObject({
        sub: session.userId,
        sid: session.sessionId,
        roles: before.roles,
        iss: before.iss,
        aud: before.aud,
      });
      expect(after.jti).not.toBe(before.jti);
      expect(after.auth_time).toBe(Math.floor(Date.parse(reauthenticatedAt) / 1000));
      expect(after.auth_time as number).toBeGreaterThanOrEqual((before.auth_time as number) + 5);

      const reauthenticated = { ...session, accessToken: response.body.accessToken as string };
      expect((await me(reauthenticated).expect(200)).body.sessionId).toBe(session.sessionId);
      // The session is the same: its earlier token is still good too.
      expect(await meStatus(session)).toBe(200);

      const [row]: { reauthenticated_at: Date | null }[] = await t.dataSource.query(
        'SELECT reauthenticated_at FROM sessions WHERE id = $1',
        [session.sessionId],
      );
      expect(row.reauthenticated_at?.toISOString()).toBe(reauthenticatedAt);
      expect(await auditOf(session.userId, 'reauthenticate')).toEqual([
        expect.objectContaining({
          outcome: 'success',
          session_id: session.sessionId,
          occurred_at: new Date(reauthenticatedAt),
        }),
      ]);

      // A refresh later on keeps the reauthenticated auth_time rather than the login's.
      t.clock.advance(5_000);
      const refreshed = await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
      const refreshedClaims = claimsOf(refreshed.body.accessToken as string);
      expect(refreshedClaims.sid).toBe(session.sessionId);
      expect(refreshedClaims.auth_time).toBe(after.auth_time);
    });

    it('gives the account’s current roles, not those of the presented token', async () => {
      const [session] = await userWithSessions(1);
      expect(claimsOf(session.accessToken).roles).toEqual([]);
      await t.dataSource.query("UPDATE users SET roles = '{auditor}' WHERE id = $1", [
        session.userId,
      ]);
      const granted = await reauthenticate(session, { password: session.password }).expect(200);
      expect(claimsOf(granted.body.accessToken as string).roles).toEqual(['auditor']);
      await t.dataSource.query("UPDATE users SET roles = '{}' WHERE id = $1", [session.userId]);
      const withdrawn = await reauthenticate(
        { ...session, accessToken: granted.body.accessToken as string },
        { password: session.password },
      ).expect(200);
      expect(claimsOf(withdrawn.body.accessToken as string).roles).toEqual([]);
    });

    it('401 for a wrong password, audited, and the session is not stamped', async () => {
      const [session] = await userWithSessions(1);
      const response = await reauthenticate(session, { password: 'not the password' });
      expectContractError(response, 401, 'invalid_credentials');
      // The access token itself was fine: the challenge must not call it invalid.
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.stringify(response.body)).not.toContain('not the password');
      const [row]: { reauthenticated_at: Date | null }[] = await t.dataSource.query(
        'SELECT reauthenticated_at FROM sessions WHERE id = $1',
        [session.sessionId],
      );
      expect(row.reauthenticated_at).toBeNull();
      expect(await auditOf(session.userId, 'reauthenticate')).toEqual([
        expect.objectContaining({
          outcome: 'failure',
          reason: 'invalid_credentials',
          session_id: session.sessionId,
        }),
      ]);
      expect(await meStatus(session)).toBe(200);
    });

    it.each([
      ['a missing password', {}, /password/],
      ['a password that is not a string', { password: 12345678 }, /password/],
      ['an unknown field', { password: 'whatever', remember: true }, /remember/],
    ])('400 for %s', async (_name, body, message) => {
      const [session] = await userWithSessions(1);
      const response = await reauthenticate(session, body);
      expect(expectContractError(response, 400, 'validation_failed').message).toMatch(message);
    });

    it('401 for the token of an ended session, even with the right password', async () => {
      const [session] = await userWithSessions(1);
      await logout(session, 'local').expect(200);
      expectContractError(await reauthenticate(session, { password: session.password }), 401);
    });

    it('is rate limited per user, 10 per 15 minutes, in a bucket of its own', async () => {
      const sessions = await userWithSessions(2);
      const [other] = await userWithSessions(1);
      for (let attempt = 1; attempt <= 10; attempt++) {
        // Both sessions of the user share one bucket.
        const response = await reauthenticate(sessions[attempt % 2], { password: 'wrong guess' });
        expect(response.status).toBe(401);
        expect(response.headers['x-ratelimit-limit']).toBe('10');
        expect(response.headers['x-ratelimit-remaining']).toBe(String(10 - attempt));
        expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(900);
      }
      const refused = await reauthenticate(sessions[0], { password: sessions[0].password });
      expectContractError(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      const stamped: { reauthenticated_at: Date | null }[] = await t.dataSource.query(
        'SELECT reauthenticated_at FROM sessions WHERE user_id = $1',
        [sessions[0].userId],
      );
      expect(stamped.map((row) => row.reauthenticated_at)).toEqual([null, null]);
      // The refusal leaves a trace, like the ten wrong passwords before it.
      const refusals = (await auditOf(sessions[0].userId, 'reauthenticate')).map(
        (row) => row.reason,
      );
      expect(refusals.filter((reason) => reason === 'invalid_credentials')).toHaveLength(10);
      expect(refusals.filter((reason) => reason === 'rate_limited')).toHaveLength(1);

      // Another user has a bucket of their own.
      await reauthenticate(other, { password: other.password }).expect(200);
      // The user's logouts are untouched: the first one still has 19 left after it.
      const loggedOut = await logout(sessions[1], 'local').expect(200);
      expect(loggedOut.headers['x-ratelimit-limit']).toBe('20');
      expect(loggedOut.headers['x-ratelimit-remaining']).toBe('19');
      expect(await meStatus(sessions[0])).toBe(200);
    });
  });

  describe('POST /auth/password', () => {
    it('changes the password and ends exactly the other sessions, audited at one instant', async () => {
      const [current, second, third] = await userWithSessions(3);
      const [stranger] = await userWithSessions(1);
      const response = await changePassword(current, {
        currentPassword: current.password,
        newPassword: NEW_PASSWORD,
      }).expect(200);
      expect(response.body).toEqual({
        message: expect.any(String),
        timestamp: expect.stringMatching(ISO_MS),
      });
      const timestamp = response.body.timestamp as string;

      expect(await meStatus(current)).toBe(200);
      expect(await refreshStatus(current)).toBe(200);
      for (const ended of [second, third]) {
        expect(await meStatus(ended)).toBe(401);
        expect(await refreshStatus(ended)).toBe(401);
      }
      expect(await meStatus(stranger)).toBe(200);

      expectContractError(await loginRequest(current.email, current.password), 401);
      await signIn({ ...current, password: NEW_PASSWORD });

      const ended: { id: string; ended_at: Date; end_reason: string }[] = await t.dataSource.query(
        'SELECT id, ended_at, end_reason FROM sessions WHERE id = ANY($1) ORDER BY id',
        [[second.sessionId, third.sessionId]],
      );
      for (const row of ended) {
        expect(row.end_reason).toBe('password_changed');
        expect(row.ended_at.toISOString()).toBe(timestamp);
      }
      expect(await auditOf(current.userId, 'password_changed')).toEqual([
        expect.objectContaining({
          outcome: 'success',
          session_id: current.sessionId,
          occurred_at: new Date(timestamp),
        }),
      ]);
      expect(await auditOf(current.userId, 'logout')).toEqual([
        expect.objectContaining({
          outcome: 'success',
          session_id: current.sessionId,
          scope: 'others',
          reason: 'password_changed',
          occurred_at: new Date(timestamp),
        }),
      ]);
    });

    it('401 for a wrong current password: nothing changes', async () => {
      const sessions = await userWithSessions(3);
      const [current] = sessions;
      const hash = await passwordHashOf(current.userId);
      const response = await changePassword(current, {
        currentPassword: 'not the password',
        newPassword: NEW_PASSWORD,
      });
      expectContractError(response, 401, 'invalid_credentials');
      expect(await passwordHashOf(current.userId)).toBe(hash);
      for (const session of sessions) expect(await meStatus(session)).toBe(200);
      expect(await refreshStatus(sessions[1])).toBe(200);
      await signIn(current);
      expectContractError(await loginRequest(current.email, NEW_PASSWORD), 401);
      expect(await auditOf(current.userId, 'password_changed')).toEqual([
        expect.objectContaining({ outcome: 'failure', reason: 'invalid_credentials' }),
      ]);
      expect(await auditOf(current.userId, 'logout')).toEqual([]);
    });

    it.each([
      ['a new password of 7 characters', { newPassword: 'x'.repeat(7) }, /newPassword/],
      ['a new password of 129 characters', { newPassword: 'x'.repeat(129) }, /newPassword/],
      ['a missing new password', { newPassword: undefined }, /newPassword/],
      ['a missing current password', { currentPassword: undefined }, /currentPassword/],
      ['an unknown field', { logoutOthers: false }, /logoutOthers/],
    ])('400 for %s: nothing changes', async (_name, override, message) => {
      const sessions = await userWithSessions(2);
      const [current] = sessions;
      const hash = await passwordHashOf(current.userId);
      const response = await changePassword(current, {
        currentPassword: current.password,
        newPassword: NEW_PASSWORD,
        ...override,
      });
      expect(expectContractError(response, 400, 'validation_failed').message).toMatch(message);
      expect(await passwordHashOf(current.userId)).toBe(hash);
      for (const session of sessions) expect(await meStatus(session)).toBe(200);
      await signIn(current);
    });

    it.each([8, 128])('accepts a new password of %i characters', async (length) => {
      const [current] = await userWithSessions(1);
      const newPassword = 'new pass'.repeat(16).slice(0, length);
      await changePassword(current, { currentPassword: current.password, newPassword }).expect(200);
      await signIn({ ...current, password: newPassword });
    });
  });

  describe('GET /auth/sessions', () => {
    it('lists the live sessions, with the caller’s marked current', async () => {
      const user = await registerUser(server);
      const ips = [uniqueIp(), uniqueIp(), uniqueIp()];
      const agents = ['Phone/1.0', 'Laptop/2.0 (X11)', 'Tablet/3.0'];
      const [phone, laptop, tablet] = [
        await signIn(user, { ip: ips[0], userAgent: agents[0] }),
        await signIn(user, { ip: ips[1], userAgent: agents[1] }),
        await signIn(user, { ip: ips[2], userAgent: agents[2] }),
      ];
      await logout(tablet, 'local').expect(200);
      const [stranger] = await userWithSessions(1);

      const listed = (await sessionsOf(phone).expect(200)).body as Record<string, unknown>[];
      expect(listed).toHaveLength(2);
      for (const session of listed) {
        expect(Object.keys(session).sort()).toEqual([
          'createdAt',
          'current',
          'expiresAt',
          'id',
          'ipAddress',
          'lastActiveAt',
          'userAgent',
        ]);
        for (const field of ['createdAt', 'lastActiveAt', 'expiresAt'])
          expect(session[field]).toMatch(ISO_MS);
        // The default absolute lifetime: 30 days.
        expect(
          Date.parse(session.expiresAt as string) - Date.parse(session.createdAt as string),
        ).toBe(30 * 86_400_000);
      }
      const byId = new Map(listed.map((session) => [session.id, session]));
      expect(byId.get(phone.sessionId)).toMatchObject({
        current: true,
        ipAddress: ips[0],
        userAgent: agents[0],
      });
      expect(byId.get(laptop.sessionId)).toMatchObject({
        current: false,
        ipAddress: ips[1],
        userAgent: agents[1],
      });
      expect(byId.has(tablet.sessionId)).toBe(false);
      expect(byId.has(stranger.sessionId)).toBe(false);

      const fromLaptop = (await sessionsOf(laptop).expect(200)).body as {
        id: string;
        current: boolean;
      }[];
      expect(fromLaptop.filter((session) => session.current).map((session) => session.id)).toEqual([
        laptop.sessionId,
      ]);
    });

    it('shows a refresh as activity', async () => {
      const [session] = await userWithSessions(1);
      const [before] = (await sessionsOf(session).expect(200)).body as { lastActiveAt: string }[];
      t.clock.advance(60_000);
      await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
      const [after] = (await sessionsOf(session).expect(200)).body as { lastActiveAt: string }[];
      expect(
        Date.parse(after.lastActiveAt) - Date.parse(before.lastActiveAt),
      ).toBeGreaterThanOrEqual(60_000);
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it('204 ends that session only, audited', async () => {
      const [caller, other, third] = await userWithSessions(3);
      const response = await revoke(caller, other.sessionId)
        .set('X-Request-Id', `revoke-${other.sessionId}`)
        .expect(204);
      expect(response.text).toBe('');
      expect(await meStatus(other)).toBe(401);
      expect(await refreshStatus(other)).toBe(401);
      expect(await meStatus(caller)).toBe(200);
      expect(await meStatus(third)).toBe(200);

      const events: (AuditRow & { request_id: string })[] = await t.dataSource.query(
        `SELECT action, outcome, actor_user_id, subject_user_id, session_id, request_id
         FROM audit_events WHERE action = 'session_revoked' AND actor_user_id = $1`,
        [caller.userId],
      );
      expect(events).toEqual([
        {
          action: 'session_revoked',
          outcome: 'success',
          actor_user_id: caller.userId,
          subject_user_id: caller.userId,
          session_id: other.sessionId,
          request_id: `revoke-${other.sessionId}`,
        },
      ]);
      const listed = (await sessionsOf(caller).expect(200)).body as { id: string }[];
      expect(listed.map((session) => session.id).sort()).toEqual(
        [caller.sessionId, third.sessionId].sort(),
      );
    });

    it('204 for the caller’s own current session, which then ends', async () => {
      const [caller, other] = await userWithSessions(2);
      await revoke(caller, caller.sessionId).expect(204);
      expect(await meStatus(caller)).toBe(401);
      expect(await meStatus(other)).toBe(200);
    });

    it('404 for another user’s session, which keeps working', async () => {
      const [caller] = await userWithSessions(1);
      const [victim] = await userWithSessions(1);
      expectContractError(await revoke(caller, victim.sessionId), 404, 'not_found');
      expect(await meStatus(victim)).toBe(200);
      expect(await refreshStatus(victim)).toBe(200);
      const events: unknown[] = await t.dataSource.query(
        "SELECT 1 FROM audit_events WHERE action = 'session_revoked' AND session_id = $1",
        [victim.sessionId],
      );
      expect(events).toEqual([]);
    });

    it('404 for an unknown id and for an already ended session; 400 for a malformed id', async () => {
      const [caller, ended] = await userWithSessions(2);
      await logout(ended, 'local').expect(200);
      const unknown = await revoke(caller, randomUUID());
      const endedAlready = await revoke(caller, ended.sessionId);
      expectContractError(unknown, 404, 'not_found');
      expectContractError(endedAlready, 404, 'not_found');
      // The same answer whether the session never existed or has ended.
      expect(endedAlready.body).toEqual(unknown.body);
      for (const malformed of ['not-a-uuid', '1', `${randomUUID()}0`]) {
        const response = await revoke(caller, malformed);
        expect(expectContractError(response, 400, 'validation_failed').message).toMatch(/\bid\b/);
      }
      expect(await meStatus(caller)).toBe(200);
    });
  });

  describe('login limits (failures only; never a lockout by others)', () => {
    const expectNoRateLimitHeaders = (response: Response) => {
      // An unauthenticated caller learns nothing of an account's counters.
      for (const header of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
        expect(response.headers).not.toHaveProperty(header);
      }
    };
    const retryAfterOf = (response: Response): number => {
      const seconds = Number(response.headers['retry-after']);
      expect(seconds).toBeGreaterThan(0);
      return seconds;
    };

    it('per (account, client): 10 failures, then 429 for that client only; the owner elsewhere signs in', async () => {
      const user = await registerUser(server);
      const attacker = uniqueIp();
      for (let attempt = 1; attempt <= 10; attempt++) {
        const response = await loginRequest(user.email, 'wrong password', attacker);
        expectContractError(response, 401, 'invalid_credentials');
        expectNoRateLimitHeaders(response);
      }
      const refused = await loginRequest(user.email, user.password, attacker);
      expectContractError(refused, 429, 'rate_limited');
      expectNoRateLimitHeaders(refused);
      expect(retryAfterOf(refused)).toBeLessThanOrEqual(900);
      expect(refused.body).not.toHaveProperty('accessToken');
      // However the address is written, it is one account and one counter.
      expectContractError(
        await loginRequest(user.email.toUpperCase(), user.password, attacker),
        429,
      );

      // The owner, from their own address, is not locked out.
      const owner = await loginRequest(user.email, user.password, uniqueIp()).expect(200);
      expectNoRateLimitHeaders(owner);
    });

    it('10 failures from other addresses do not lock the owner out', async () => {
      const user = await registerUser(server);
      for (let attempt = 1; attempt <= 10; attempt++) {
        expectContractError(await loginRequest(user.email, 'wrong password'), 401);
      }
      await loginRequest(user.email, user.password, uniqueIp()).expect(200);
    });

    it('successful logins are not counted', async () => {
      const user = await registerUser(server);
      const ip = uniqueIp();
      for (let attempt = 1; attempt <= 12; attempt++) {
        await loginRequest(user.email, user.password, ip).expect(200);
      }
      // The full budget of failures is still there, then the limit.
      for (let attempt = 1; attempt <= 10; attempt++) {
        expectContractError(await loginRequest(user.email, 'wrong password', ip), 401);
      }
      expectContractError(await loginRequest(user.email, user.password, ip), 429);
    });

    it('per account from anywhere: growing delays for unknown clients, none for the owner’s own', async () => {
      const user = await registerUser(server);
      const ownerIp = uniqueIp();
      await loginRequest(user.email, user.password, ownerIp).expect(200);
      // 20 failures (twice the limit) from 20 addresses: no delay yet.
      for (let attempt = 1; attempt <= 20; attempt++) {
        expectContractError(await loginRequest(user.email, 'wrong password'), 401);
      }
      // From then on each failure doubles the wait (1 s, 2 s, 4 s, ...): soon one is refused,
      // however slowly this machine sends them.
      let refused: Response | undefined;
      for (let attempt = 1; attempt <= 10 && !refused; attempt++) {
        const response = await loginRequest(user.email, 'wrong password');
        if (response.status === 429) refused = response;
        else expectContractError(response, 401);
      }
      expect(refused).toBeDefined();
      expectContractError(refused!, 429, 'rate_limited');
      expectNoRateLimitHeaders(refused!);
      // A delay, never a lock: at most a minute.
      const wait = retryAfterOf(refused!);
      expect(wait).toBeLessThanOrEqual(60);

      // The owner's own client is not delayed; a new one of theirs waits at most the delay.
      await loginRequest(user.email, user.password, ownerIp).expect(200);
      const newDevice = await loginRequest(user.email, user.password, uniqueIp());
      expectContractError(newDevice, 429, 'rate_limited');
      expect(retryAfterOf(newDevice)).toBeLessThanOrEqual(60);
      t.clock.advance(60_000);
      await loginRequest(user.email, user.password, uniqueIp()).expect(200);
    });

    it('per client address: 100 failures from one /64, then 429 for any account', async () => {
      const network = uniqueNetwork();
      const user = await registerUser(server);
      // A source rotating through the addresses of its /64 is still one source.
      const attempts = Array.from({ length: 100 }, (_, index) => index + 1);
      for (let batch = 0; batch < attempts.length; batch += 10) {
        const responses = await Promise.all(
          attempts
            .slice(batch, batch + 10)
            .map((index) =>
              loginRequest(
                `nobody.${randomUUID()}@example.test`,
                'any password',
                `${network}::${index.toString(16)}`,
              ),
            ),
        );
        for (const response of responses) expect(response.status).toBe(401);
      }
      const refused = await loginRequest(user.email, user.password, `${network}:1:2:3:4`);
      expectContractError(refused, 429, 'rate_limited');
      expectNoRateLimitHeaders(refused);
      retryAfterOf(refused);

      // Another network is not affected, and the account itself was never limited.
      await loginRequest(user.email, user.password, uniqueIp()).expect(200);
    });

    it('a burst of parallel guesses is counted one by one: at most 10 get an answer', async () => {
      const user = await registerUser(server);
      const ip = uniqueIp();
      const responses = await Promise.all(
        Array.from({ length: 25 }, () => loginRequest(user.email, 'wrong password', ip)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(10);
      expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    });

    it('logins never use up the user’s logouts', async () => {
      const user = await registerUser(server);
      const sessions: LoggedIn[] = [];
      for (let attempt = 1; attempt <= 10; attempt++) sessions.push(await signIn(user));
      const loggedOut = await logout(sessions[0], 'local').expect(200);
      expect(loggedOut.headers['x-ratelimit-limit']).toBe('20');
      expect(loggedOut.headers['x-ratelimit-remaining']).toBe('19');
    });
  });
});
