import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { decode, type JwtPayload } from 'jsonwebtoken';
import request from 'supertest';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { expectContractError } from '../utils/contract-error';
import {
  DEFAULT_PASSWORD,
  login,
  refresh,
  registerAndLogin,
  registerUser,
  type TokenPairBody,
  uniqueEmail,
} from '../factories/user.factory';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface AuditRow {
  action: string;
  outcome: string;
  actor_user_id: string | null;
  session_id: string | null;
  reason: string | null;
  request_id: string | null;
}

interface SessionRow {
  ended_at: Date | null;
  end_reason: string | null;
}

function auditRows(t: TestApp, where: string, params: unknown[]): Promise<AuditRow[]> {
  return t.dataSource.query(
    `SELECT action, outcome, actor_user_id, session_id, reason, request_id
       FROM audit_events WHERE ${where} ORDER BY occurred_at, id`,
    params,
  );
}

async function sessionRow(t: TestApp, sessionId: string): Promise<SessionRow> {
  const rows: SessionRow[] = await t.dataSource.query(
    'SELECT ended_at, end_reason FROM sessions WHERE id = $1',
    [sessionId],
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

function me(t: TestApp, accessToken: string): request.Test {
  return request(t.app.getHttpServer())
    .get('/auth/me')
    .set('Authorization', `Bearer ${accessToken}`);
}

/** Everything a client relies on in a 200 from login or refresh. */
function expectTokenPair(body: TokenPairBody, user: { id: string; email: string }): void {
  expect(Object.keys(body).sort()).toEqual(
    ['accessToken', 'expiresIn', 'refreshToken', 'sessionId', 'tokenType', 'user'].sort(),
  );
  expect(body.tokenType).toBe('Bearer');
  expect(body.expiresIn).toBe(900);
  expect(body.sessionId).toMatch(UUID);
  expect(body.user).toEqual({ id: user.id, email: user.email, roles: [] });
  // Opaque, at least 256 bits of randomness.
  expect(body.refreshToken).toMatch(BASE64URL);
  expect(Buffer.from(body.refreshToken, 'base64url').length).toBeGreaterThanOrEqual(32);

  const jwt = decode(body.accessToken, { complete: true });
  expect(jwt).not.toBeNull();
  expect(jwt!.header.alg).toBe('ES256');
  expect(jwt!.header.kid).toEqual(expect.any(String));
  const claims = jwt!.payload as JwtPayload;
  expect(claims).toEqual({
    iss: 'auth-service',
    aud: 'auth-service',
    sub: user.id,
    sid: body.sessionId,
    jti: expect.stringMatching(UUID),
    iat: expect.any(Number),
    exp: expect.any(Number),
    auth_time: expect.any(Number),
    roles: [],
  });
  expect(claims.exp! - claims.iat!).toBe(900);
}

describe('auth (register, login, refresh, me)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('POST /auth/register', () => {
    it('creates the user and answers 201 { id, email, createdAt } with an ISO timestamp', async () => {
      const email = uniqueEmail('Register');
      const before = t.clock.now().getTime();
      const response = await request(t.app.getHttpServer())
        .post('/auth/register')
        .send({ email, password: DEFAULT_PASSWORD })
        .expect(201);

      expect(Object.keys(response.body as object).sort()).toEqual(['createdAt', 'email', 'id']);
      const body = response.body as { id: string; email: string; createdAt: string };
      expect(body.id).toMatch(UUID);
      // Stored and answered in the normalised form (lower case here).
      expect(body.email).toBe(email.toLowerCase());
      expect(body.createdAt).toMatch(ISO_MS_UTC);
      const createdAt = Date.parse(body.createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(before - 1_000);
      expect(createdAt).toBeLessThanOrEqual(t.clock.now().getTime() + 1_000);
      expect(response.text).not.toContain(DEFAULT_PASSWORD);

      const rows: { password_hash: string; roles: string[] }[] = await t.dataSource.query(
        'SELECT password_hash, roles FROM users WHERE id = $1',
        [body.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
      expect(rows[0].password_hash).not.toContain(DEFAULT_PASSWORD);
      expect(rows[0].roles).toEqual([]);
    });

    it('answers 409 for an email that is taken, comparing case-insensitively', async () => {
      const local = `dup.${randomUUID()}`;
      await registerUser(t.app, { email: `${local}@Example.TEST` });

      for (const email of [`${local}@Example.TEST`, `${local.toUpperCase()}@example.test`]) {
        const response = await request(t.app.getHttpServer())
          .post('/auth/register')
          .send({ email, password: 'another password' });
        expectContractError(response, 409, 'email_taken');
      }
      const [{ count }]: { count: string }[] = await t.dataSource.query(
        'SELECT count(*) AS count FROM users WHERE lower(email) = lower($1)',
        [`${local}@example.test`],
      );
      expect(Number(count)).toBe(1);
    });

    it.each([
      ['a malformed email', { email: 'not-an-email', password: DEFAULT_PASSWORD }, 'email'],
      ['a password of 7 characters', { email: 'EMAIL', password: '1234567' }, 'password'],
      ['a password of 129 characters', { email: 'EMAIL', password: 'p'.repeat(129) }, 'password'],
      ['a non-string password', { email: 'EMAIL', password: 12345678 }, 'password'],
      ['a missing email', { password: DEFAULT_PASSWORD }, 'email'],
      ['a missing password', { email: 'EMAIL' }, 'password'],
      [
        'an unknown field',
        { email: 'EMAIL', password: DEFAULT_PASSWORD, roles: ['admin'] },
        'roles',
      ],
    ])('answers 400 naming the field for %s, and creates nothing', async (_case, body, field) => {
      const email = uniqueEmail('invalid');
      const payload = Object.fromEntries(
        Object.entries(body).map(([key, value]) => [key, value === 'EMAIL' ? email : value]),
      );
      const response = await request(t.app.getHttpServer()).post('/auth/register').send(payload);
      const error = expectContractError(response, 400, 'validation_failed');
      expect(error.message).toContain(field);

      const rows: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM users WHERE lower(email) = lower($1)',
        [email],
      );
      expect(rows).toHaveLength(0);
    });

    it('accepts passwords of exactly 8 and exactly 128 characters', async () => {
      for (const password of ['8 chars!', 'long pass '.repeat(13).slice(0, 128)]) {
        const { email } = await registerUser(t.app, { password });
        await login(t.app, email, password);
      }
    });
  });

  describe('POST /auth/login', () => {
    it('answers 200 with the full token pair, and the access token works on /auth/me', async () => {
      const { user, email } = await registerUser(t.app);
      const requestId = `login-${randomUUID()}`;
      const response = await request(t.app.getHttpServer())
        .post('/auth/login')
        .set('X-Request-Id', requestId)
        .send({ email, password: DEFAULT_PASSWORD })
        .expect(200);
      const body = response.body as TokenPairBody;
      expectTokenPair(body, user);

      // Stored only as a hash.
      const tokens: { session_id: string }[] = await t.dataSource.query(
        'SELECT session_id FROM refresh_tokens WHERE token_hash = $1',
        [createHash('sha256').update(body.refreshToken).digest()],
      );
      expect(tokens).toEqual([{ session_id: body.sessionId }]);

      const audit = await auditRows(t, 'request_id = $1', [requestId]);
      expect(audit).toEqual([
        {
          action: 'login',
          outcome: 'success',
          actor_user_id: user.id,
          session_id: body.sessionId,
          reason: null,
          request_id: requestId,
        },
      ]);

      await me(t, body.accessToken).expect(200);
    });

    it('matches the email case-insensitively', async () => {
      const { user, email } = await registerUser(t.app);
      const tokens = await login(t.app, email.toUpperCase());
      expect(tokens.user.id).toBe(user.id);
    });

    it('gives an unknown email and a wrong password the same 401, and audits both', async () => {
      const { user, email } = await registerUser(t.app);
      const wrongPasswordId = `wrong-password-${randomUUID()}`;
      const unknownEmailId = `unknown-email-${randomUUID()}`;

      const wrongPassword = await request(t.app.getHttpServer())
        .post('/auth/login')
        .set('X-Request-Id', wrongPasswordId)
        .send({ email, password: 'not the password' });
      const unknownEmail = await request(t.app.getHttpServer())
        .post('/auth/login')
        .set('X-Request-Id', unknownEmailId)
        .send({ email: uniqueEmail('nobody'), password: DEFAULT_PASSWORD });

      const refusal = expectContractError(wrongPassword, 401, 'invalid_credentials');
      expect(expectContractError(unknownEmail, 401)).toEqual(refusal);
      expect(wrongPassword.headers['www-authenticate']).toBe(
        unknownEmail.headers['www-authenticate'],
      );

      expect(await auditRows(t, 'request_id = $1', [wrongPasswordId])).toEqual([
        {
          action: 'login',
          outcome: 'failure',
          actor_user_id: user.id,
          session_id: null,
          reason: 'invalid_credentials',
          request_id: wrongPasswordId,
        },
      ]);
      expect(await auditRows(t, 'request_id = $1', [unknownEmailId])).toEqual([
        {
          action: 'login',
          outcome: 'failure',
          actor_user_id: null,
          session_id: null,
          reason: 'invalid_credentials',
          request_id: unknownEmailId,
        },
      ]);
      const sessions: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM sessions WHERE user_id = $1',
        [user.id],
      );
      expect(sessions).toHaveLength(0);
    });

    it('answers 400 for a missing password', async () => {
      const response = await request(t.app.getHttpServer())
        .post('/auth/login')
        .send({ email: uniqueEmail() });
      expect(expectContractError(response, 400, 'validation_failed').message).toContain('password');
    });

    it('starts a separate session on every login', async () => {
      const { email } = await registerUser(t.app);
      const first = await login(t.app, email);
      const second = await login(t.app, email);
      expect(second.sessionId).not.toBe(first.sessionId);
      expect(second.refreshToken).not.toBe(first.refreshToken);
    });
  });

  describe('GET /auth/me', () => {
    it('answers 200 { id, email, roles, sessionId } for the bearer', async () => {
      const { user, tokens } = await registerAndLogin(t.app);
      const response = await me(t, tokens.accessToken).expect(200);
      expect(response.body).toEqual({
        id: user.id,
        email: user.email,
        roles: [],
        sessionId: tokens.sessionId,
      });
    });
  });

  describe('POST /auth/refresh', () => {
    it('answers 200 with a new pair for the same session and rotates the refresh token', async () => {
      const { user, tokens } = await registerAndLogin(t.app);
      const response = await refresh(t.app, tokens.refreshToken).expect(200);
      const rotated = response.body as TokenPairBody;

      expectTokenPair(rotated, user);
      expect(rotated.sessionId).toBe(tokens.sessionId);
      expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
      expect(rotated.accessToken).not.toBe(tokens.accessToken);
      const meBody = (await me(t, rotated.accessToken).expect(200)).body as { sessionId: string };
      expect(meBody.sessionId).toBe(tokens.sessionId);

      // The child can be rotated in turn.
      const again = (await refresh(t.app, rotated.refreshToken).expect(200)).body as TokenPairBody;
      expect(again.sessionId).toBe(tokens.sessionId);
    });

    it('treats a retired token presented after the reuse interval as theft: 401 and the session is revoked', async () => {
      const { user, tokens } = await registerAndLogin(t.app);
      const rotated = (await refresh(t.app, tokens.refreshToken).expect(200)).body as TokenPairBody;
      await me(t, rotated.accessToken).expect(200);

      t.clock.advance(11_000); // past the default REFRESH_TOKEN_REUSE_INTERVAL of 10s
      const requestId = `reuse-${randomUUID()}`;
      const reuse = await refresh(t.app, tokens.refreshToken).set('X-Request-Id', requestId);
      expectContractError(reuse, 401, 'invalid_refresh_token');

      // The whole session is gone: the newest refresh token and its access token too.
      expectContractError(await refresh(t.app, rotated.refreshToken), 401, 'invalid_refresh_token');
      const refused = await me(t, rotated.accessToken);
      expectContractError(refused, 401, 'invalid_token');
      expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

      const session = await sessionRow(t, tokens.sessionId);
      expect(session.ended_at).not.toBeNull();
      expect(session.end_reason).toBe('refresh_token_reused');
      expect(
        await auditRows(t, 'session_id = $1 AND action = $2', [
          tokens.sessionId,
          'refresh_token_reused',
        ]),
      ).toEqual([
        {
          action: 'refresh_token_reused',
          outcome: 'success',
          actor_user_id: user.id,
          session_id: tokens.sessionId,
          reason: 'refresh_token_reused',
          request_id: requestId,
        },
      ]);
      const live: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM refresh_tokens WHERE session_id = $1 AND revoked_at IS NULL',
        [tokens.sessionId],
      );
      expect(live).toHaveLength(0);
    });

    it('answers 409 to the immediate parent within the reuse interval and revokes nothing', async () => {
      const { tokens } = await registerAndLogin(t.app);
      const rotated = (await refresh(t.app, tokens.refreshToken).expect(200)).body as TokenPairBody;

      t.clock.advance(5_000); // still inside the 10s interval
      expectContractError(await refresh(t.app, tokens.refreshToken), 409, 'refresh_conflict');
      expectContractError(await refresh(t.app, tokens.refreshToken), 409, 'refresh_conflict');

      expect((await sessionRow(t, tokens.sessionId)).ended_at).toBeNull();
      await me(t, rotated.accessToken).expect(200);
      const next = (await refresh(t.app, rotated.refreshToken).expect(200)).body as TokenPairBody;
      expect(next.sessionId).toBe(tokens.sessionId);
      const reused = await auditRows(t, 'session_id = $1 AND action = $2', [
        tokens.sessionId,
        'refresh_token_reused',
      ]);
      expect(reused).toHaveLength(0);
    });

    it('revokes the session when an older ancestor is reused, even inside the reuse interval', async () => {
      const { tokens } = await registerAndLogin(t.app);
      const child = (await refresh(t.app, tokens.refreshToken).expect(200)).body as TokenPairBody;
      const grandchild = (await refresh(t.app, child.refreshToken).expect(200))
        .body as TokenPairBody;

      // `tokens.refreshToken` is the grandparent of the current token: no grace for it.
      expectContractError(await refresh(t.app, tokens.refreshToken), 401, 'invalid_refresh_token');
      expectContractError(await refresh(t.app, grandchild.refreshToken), 401);
      expect((await sessionRow(t, tokens.sessionId)).end_reason).toBe('refresh_token_reused');
    });

    it.each([
      ['a well-formed token it never issued', randomBytes(32).toString('base64url')],
      ['garbage', 'garbage'],
      ['a JWT in place of a refresh token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln'],
    ])('answers 401 for %s', async (_case, token) => {
      expectContractError(await refresh(t.app, token), 401, 'invalid_refresh_token');
    });

    it('answers 400 when refreshToken is missing', async () => {
      const response = await request(t.app.getHttpServer()).post('/auth/refresh').send({});
      expect(expectContractError(response, 400, 'validation_failed').message).toContain(
        'refreshToken',
      );
    });

    it('lets exactly one of 20 concurrent refreshes of one token win; the winner keeps working', async () => {
      const { tokens } = await registerAndLogin(t.app);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => refresh(t.app, tokens.refreshToken)),
      );
      const statuses = responses.map((response) => response.status);
      const winners = responses.filter((response) => response.status === 200);

      expect(winners).toHaveLength(1);
      for (const response of responses) {
        expect([200, 401, 409]).toContain(response.status);
        if (response.status !== 200) expectContractError(response, response.status);
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);

      const winner = winners[0].body as TokenPairBody;
      expect(winner.sessionId).toBe(tokens.sessionId);
      const next = (await refresh(t.app, winner.refreshToken).expect(200)).body as TokenPairBody;
      await me(t, next.accessToken).expect(200);
      const rows: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM refresh_tokens WHERE session_id = $1 AND retired_at IS NULL AND revoked_at IS NULL',
        [tokens.sessionId],
      );
      expect(rows).toHaveLength(1);
    });
  });
});

/** One more app (each boot costs a database): both settings are independent of each other. */
describe('with REFRESH_TOKEN_REUSE_INTERVAL=0s, REFRESH_TOKEN_TTL=2h, SESSION_IDLE_TIMEOUT=1h', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        REFRESH_TOKEN_REUSE_INTERVAL: '0s',
        REFRESH_TOKEN_TTL: '2h',
        SESSION_IDLE_TIMEOUT: '1h',
      },
    });
    await t.app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('revokes the session on any reuse, even of the immediate parent at once', async () => {
    const { tokens } = await registerAndLogin(t.app);
    const rotated = (await refresh(t.app, tokens.refreshToken).expect(200)).body as TokenPairBody;

    expectContractError(await refresh(t.app, tokens.refreshToken), 401, 'invalid_refresh_token');
    expectContractError(await refresh(t.app, rotated.refreshToken), 401, 'invalid_refresh_token');
    expectContractError(await me(t, rotated.accessToken), 401, 'invalid_token');
    expect((await sessionRow(t, tokens.sessionId)).end_reason).toBe('refresh_token_reused');
    expect(
      await auditRows(t, 'session_id = $1 AND action = $2', [
        tokens.sessionId,
        'refresh_token_reused',
      ]),
    ).toHaveLength(1);
  });

  it('ends a session at its absolute expiry even while it is in use, and audits session_expired', async () => {
    const { user, tokens } = await registerAndLogin(t.app);
    let current = tokens.refreshToken;
    // Refreshing keeps the session from idling out, but not past its absolute lifetime.
    for (const step of [50 * MINUTE, 50 * MINUTE]) {
      t.clock.advance(step);
      current = ((await refresh(t.app, current).expect(200)).body as TokenPairBody).refreshToken;
    }
    const last = (await refresh(t.app, current).expect(200)).body as TokenPairBody;

    t.clock.advance(21 * MINUTE); // 2h01m after login, 21m after the last refresh
    expectContractError(await refresh(t.app, last.refreshToken), 401, 'invalid_refresh_token');
    expectContractError(await me(t, last.accessToken), 401, 'invalid_token');

    const session = await sessionRow(t, tokens.sessionId);
    expect(session.ended_at).not.toBeNull();
    expect(session.end_reason).toBe('expired');
    expect(
      await auditRows(t, 'session_id = $1 AND action = $2', [tokens.sessionId, 'session_expired']),
    ).toEqual([
      expect.objectContaining({
        action: 'session_expired',
        actor_user_id: user.id,
        session_id: tokens.sessionId,
        reason: 'expired',
      }),
    ]);
  });

  it('ends a session after SESSION_IDLE_TIMEOUT without a refresh', async () => {
    const { tokens } = await registerAndLogin(t.app);
    t.clock.advance(HOUR + 1_000);

    expectContractError(await refresh(t.app, tokens.refreshToken), 401, 'invalid_refresh_token');
    expect((await sessionRow(t, tokens.sessionId)).end_reason).toBe('idle');
    expect(
      await auditRows(t, 'session_id = $1 AND action = $2', [tokens.sessionId, 'session_expired']),
    ).toEqual([expect.objectContaining({ reason: 'idle' })]);
  });

  it('keeps a session that is refreshed just inside the idle timeout', async () => {
    const { tokens } = await registerAndLogin(t.app);
    t.clock.advance(HOUR - MINUTE);
    const rotated = (await refresh(t.app, tokens.refreshToken).expect(200)).body as TokenPairBody;
    expect(rotated.sessionId).toBe(tokens.sessionId);
  });
});
