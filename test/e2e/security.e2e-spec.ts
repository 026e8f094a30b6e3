import { randomBytes, randomUUID } from 'node:crypto';
import request, { type Response } from 'supertest';
import { type App } from 'supertest/types';
import { DataSource } from 'typeorm';
import { InitialSchema1764086400000 } from '../../src/database/migrations/1764086400000-initial-schema';
import { type LoggedIn, login, registerUser } from '../factories/session.factory';
import { DEFAULT_PASSWORD } from '../factories/user.factory';
import { expectContractError } from '../utils/contract-error';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { createTestDatabase, serverUrl } from '../utils/test-database';

/*
 * Issue 11: what an outside attacker found. Each test here failed on the code before the fix.
 * The login limits themselves are in account.e2e-spec.ts ("login limits").
 */

const ADMIN = { email: 'security-admin@example.test', password: 'security admin passphrase' };

/** A client address no other test uses (TRUST_PROXY: the address comes from X-Forwarded-For). */
const uniqueIp = (): string =>
  `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;

interface AuditRow {
  action: string;
  outcome: string;
  actor_user_id: string | null;
  session_id: string | null;
  reason: string | null;
}

describe('security hardening (issue 11)', () => {
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TRUST_PROXY: 'true',
        BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        REFRESH_TOKEN_REUSE_INTERVAL: '1h',
      },
    });
    server = t.app.getHttpServer();
  });
  afterAll(() => t.close());

  const loginRequest = (email: string, password: string, ip = uniqueIp()) =>
    request(server).post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });
  const register = (email: string, password: string, ip = uniqueIp()) =>
    request(server).post('/auth/register').set('X-Forwarded-For', ip).send({ email, password });
  const auditRows = (where: string, params: unknown[]): Promise<AuditRow[]> =>
    t.dataSource.query(
      `SELECT action, outcome, actor_user_id, session_id, reason FROM audit_events
       WHERE ${where} ORDER BY occurred_at, id`,
      params,
    );

  describe('one normalisation of emails (NFKC, Unicode lower case)', () => {
    it('user.vİctim@example.com is not a way around the limit of user.victim@example.com', async () => {
      const plain = `user.victim.${randomUUID()}@example.com`;
      const variant = plain.replace('victim', 'v\u0130ctim');
      await register(plain, DEFAULT_PASSWORD).expect(201);
      const attacker = uniqueIp();
      for (let attempt = 1; attempt <= 10; attempt++) {
        expectContractError(await loginRequest(plain, 'wrong password', attacker), 401);
      }
      expectContractError(await loginRequest(plain, DEFAULT_PASSWORD, attacker), 429);
      // Before: PostgreSQL's lower() folded U+0130 to "i" and reached the account (200), while
      // the limiter keyed a bucket of its own. Now both see one address, and it is not this one.
      const response = await loginRequest(variant, DEFAULT_PASSWORD, attacker);
      expect(response.status).not.toBe(200);
      expect(response.body).not.toHaveProperty('accessToken');
    });

    it('stores, finds and refuses duplicates in the one form, whatever the case or width', async () => {
      const id = randomUUID();
      const registered = await register(`Mixed.${id}@Example.COM`, DEFAULT_PASSWORD).expect(201);
      expect(registered.body.email).toBe(`mixed.${id}@example.com`);
      const fullWidth = `ＭＩＸＥＤ.${id}@example.com`;
      expectContractError(await register(fullWidth, DEFAULT_PASSWORD), 409, 'email_taken');
      await loginRequest(`MIXED.${id.toUpperCase()}@EXAMPLE.com`, DEFAULT_PASSWORD).expect(200);
      await loginRequest(fullWidth, DEFAULT_PASSWORD).expect(200);
    });
  });

  describe('password policy (ASVS 6.2.4, NIST 800-63B)', () => {
    it.each([
      ['a common password', 'password', 'password_too_common'],
      ['a common password in another case', 'PassWord1', 'password_too_common'],
      ['12345678', '12345678', 'password_too_common'],
      ['eight spaces', '        ', 'password_too_common'],
      ['one character repeated', 'zzzzzzzzzzzz', 'password_too_common'],
    ])('registration refuses %s with 400', async (_name, password, code) => {
      const email = `policy.${randomUUID()}@example.test`;
      const body = expectContractError(await register(email, password), 400, code);
      expect(body.message).toMatch(/password/);
      const rows: unknown[] = await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [
        email,
      ]);
      expect(rows).toEqual([]);
    });

    it('refuses a password containing the email or its local part, in any case', async () => {
      const local = `jane.doe.${randomBytes(3).toString('hex')}`;
      const email = `${local}@example.test`;
      for (const password of [email, `${local.toUpperCase()}!2024`, `my ${local} pass`]) {
        expectContractError(await register(email, password), 400, 'password_contains_email');
      }
      await register(email, 'an unrelated passphrase').expect(201);
    });

    it('applies to a password change too', async () => {
      const user = await registerUser(server);
      const session = await login(server, user);
      const response = await request(server)
        .post('/auth/password')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .send({ currentPassword: user.password, newPassword: 'iloveyou' });
      expectContractError(response, 400, 'password_too_common');
      await loginRequest(user.email, user.password).expect(200);
    });
  });

  describe('Cache-Control: no-store on every response that carries a token', () => {
    const expectNoStore = (response: Response) => {
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
    };

    it('login, refresh and reauthenticate', async () => {
      const user = await registerUser(server);
      const loggedIn = await loginRequest(user.email, user.password).expect(200);
      expectNoStore(loggedIn);
      const refreshed = await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: (loggedIn.body as LoggedIn).refreshToken })
        .expect(200);
      expectNoStore(refreshed);
      const reauthenticated = await request(server)
        .post('/auth/reauthenticate')
        .set('Authorization', `Bearer ${(refreshed.body as LoggedIn).accessToken}`)
        .send({ password: user.password })
        .expect(200);
      expectNoStore(reauthenticated);
    });
  });

  describe('every refused credential or token operation is audited', () => {
    it('a refresh 401 and a 409 inside the reuse window', async () => {
      const user = await registerUser(server);
      const session = await login(server, user);
      const unknown = await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: randomBytes(32).toString('base64url') });
      expectContractError(unknown, 401, 'invalid_refresh_token');
      expect(await auditRows(`request_id = $1`, [unknown.headers['x-request-id']])).toEqual([
        expect.objectContaining({
          action: 'refresh',
          outcome: 'failure',
          reason: 'invalid_refresh_token',
        }),
      ]);

      await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
      // The stolen parent replayed inside the window: 409, and now a trace naming the session.
      const replayed = await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken });
      expectContractError(replayed, 409, 'refresh_conflict');
      expect(await auditRows(`request_id = $1`, [replayed.headers['x-request-id']])).toEqual([
        {
          action: 'refresh',
          outcome: 'failure',
          actor_user_id: user.userId,
          session_id: session.sessionId,
          reason: 'refresh_conflict',
        },
      ]);
    });

    it('a login 429, and a wrong password naming the account', async () => {
      const user = await registerUser(server);
      const ip = uniqueIp();
      for (let attempt = 1; attempt <= 10; attempt++) {
        await loginRequest(user.email, 'wrong password', ip).expect(401);
      }
      const refused = await loginRequest(user.email, user.password, ip).expect(429);
      const failures = await auditRows(`action = 'login' AND ip_address = $1`, [ip]);
      expect(failures.map((row) => row.reason)).toEqual([
        ...Array<string>(10).fill('invalid_credentials'),
        'rate_limited',
      ]);
      expect(failures.slice(0, 10).every((row) => row.actor_user_id === user.userId)).toBe(true);
      expect(await auditRows(`request_id = $1`, [refused.headers['x-request-id']])).toHaveLength(1);
    });

    it('a registration refused by the password policy', async () => {
      const refused = await register(`audited.${randomUUID()}@example.test`, 'password');
      expectContractError(refused, 400, 'password_too_common');
      expect(await auditRows(`request_id = $1`, [refused.headers['x-request-id']])).toEqual([
        expect.objectContaining({
          action: 'register',
          outcome: 'failure',
          reason: 'password_too_common',
        }),
      ]);
    });
  });

  describe('control characters in free text', () => {
    it.each([
      ['NUL', 'compromised\u0000'],
      ['a line break', 'line one\nforged line two'],
      ['an escape sequence', 'red \u001b[31malert'],
      ['DEL', 'x\u007f'],
    ])(
      'an admin reason with %s is a 400 naming the field, and nothing ends',
      async (_name, reason) => {
        const admin = await loginRequest(ADMIN.email, ADMIN.password).expect(200);
        const user = await registerUser(server);
        const session = await login(server, user);
        const response = await request(server)
          .post(`/admin/users/${user.userId}/logout`)
          .set('Authorization', `Bearer ${(admin.body as LoggedIn).accessToken}`)
          .send({ reason });
        expect(expectContractError(response, 400, 'validation_failed').message).toMatch(
          /reason must not contain control characters/,
        );
        await request(server)
          .get('/auth/me')
          .set('Authorization', `Bearer ${session.accessToken}`)
          .expect(200);
      },
    );

    it('an email with a control character is a 400', async () => {
      expectContractError(
        await register(`nul\u0000${randomUUID()}@example.test`, DEFAULT_PASSWORD),
        400,
      );
      expectContractError(await loginRequest(`a\u0007b@example.test`, DEFAULT_PASSWORD), 400);
    });
  });

  describe('registration is limited per client address', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await createTestApp({
        env: { TRUST_PROXY: 'true', REGISTRATION_RATE_LIMIT: '3' },
      });
    });
    afterAll(() => limited.close());

    it('the 4th registration from one address within the window is a 429; another address is not limited', async () => {
      const ip = uniqueIp();
      const registerFrom = (from: string) =>
        request(limited.app.getHttpServer())
          .post('/auth/register')
          .set('X-Forwarded-For', from)
          .send({ email: `burst.${randomUUID()}@example.test`, password: DEFAULT_PASSWORD });
      for (let attempt = 1; attempt <= 3; attempt++) await registerFrom(ip).expect(201);
      const refused = await registerFrom(ip);
      expectContractError(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await registerFrom(uniqueIp()).expect(201);
    });
  });

  describe('discovery URLs come from configuration only', () => {
    it('without PUBLIC_URL (and an issuer that is no URL) discovery is not served, whatever the Host', async () => {
      const response = await request(server)
        .get('/.well-known/openid-configuration')
        .set('Host', 'evil.example');
      expectContractError(response, 404, 'not_found');
      expect(response.text).not.toContain('evil.example');
    });

    it('with PUBLIC_URL, every URL is under it; Host and X-Forwarded-* change nothing', async () => {
      const configured = await createTestApp({
        env: { PUBLIC_URL: 'https://auth.example.com/identity/', TRUST_PROXY: 'true' },
      });
      try {
        const response = await request(configured.app.getHttpServer())
          .get('/.well-known/openid-configuration')
          .set('Host', 'evil.example')
          .set('X-Forwarded-Host', 'evil.example')
          .set('X-Forwarded-Proto', 'http')
          .expect(200);
        const body = response.body as Record<string, string>;
        expect(body.jwks_uri).toBe('https://auth.example.com/identity/.well-known/jwks.json');
        expect(body.introspection_endpoint).toBe(
          'https://auth.example.com/identity/oauth/introspect',
        );
        expect(body.revocation_endpoint).toBe('https://auth.example.com/identity/oauth/revoke');
        expect(response.text).not.toContain('evil.example');
      } finally {
        await configured.close();
      }
    });
  });
});

describe('migration to normalised emails', () => {
  /** A database at the schema before the migration, with `emails` inserted. */
  async function databaseWith(emails: string[]) {
    const database = await createTestDatabase(
      serverUrl() ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    const old = new DataSource({
      type: 'postgres',
      url: database.env.DATABASE_URL,
      migrations: [InitialSchema1764086400000],
      migrationsTableName: 'schema_migrations',
    });
    await old.initialize();
    await old.runMigrations();
    const rows: { id: string }[] = await old.query(
      `INSERT INTO users (email, password_hash) SELECT unnest($1::text[]), 'x' RETURNING id`,
      [emails],
    );
    await old.destroy();
    return { database, ids: rows.map((row) => row.id) };
  }

  it('brings existing rows into the normalised form', async () => {
    const { database, ids } = await databaseWith([
      'Ada.Lovelace@Example.COM',
      'ｇｒａｃｅ@example.com',
    ]);
    const app = await createTestApp({ database });
    try {
      const rows: { id: string; email: string }[] = await app.dataSource.query(
        'SELECT id, email FROM users WHERE id = ANY($1) ORDER BY email',
        [ids],
      );
      expect(rows.map((row) => row.email)).toEqual([
        'ada.lovelace@example.com',
        'grace@example.com',
      ]);
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('refuses to merge two accounts that become one address, naming them', async () => {
    // Distinct under lower() (so both exist today); one address once NFKC-normalised.
    const { database, ids } = await databaseWith([
      'twin@example.com',
      'ｔｗｉｎ@example.com',
      'other@example.com',
    ]);
    try {
      // No Redis: the refused start must leave no client behind.
      const refusal = await createTestApp({ database, env: { REDIS_URL: undefined } }).then(
        () => new Error('the service started'),
        (error: Error) => error,
      );
      expect(refusal.message).toMatch(/1 normalised address\(es\) shared by 2 accounts/);
      expect(refusal.message).toContain(ids[0]);
      expect(refusal.message).toContain(ids[1]);
      expect(refusal.message).not.toContain(ids[2]);
    } finally {
      await database.drop();
    }
  });
});
