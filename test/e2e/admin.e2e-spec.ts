import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type App } from 'supertest/types';
import { AuditEventRepository } from '../../src/auth/repositories/audit-event.repository';
import {
  type LoggedIn,
  login,
  loginWith,
  registerUser,
  userWithSessions,
} from '../factories/session.factory';
import { expectContractError } from '../utils/contract-error';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { createTestDatabase } from '../utils/test-database';

const ADMIN_EMAIL = 'admin@example.test';
const ADMIN_PASSWORD = 'bootstrap admin password';
const BOOTSTRAP_ENV = {
  BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
  BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
};
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const AUDIT_EVENT_KEYS = [
  'action',
  'actorUserId',
  'id',
  'ipAddress',
  'occurredAt',
  'outcome',
  'reason',
  'requestId',
  'scope',
  'sessionId',
  'subjectUserId',
  'userAgent',
];

interface AuditEventBody {
  id: string;
  occurredAt: string;
  action: string;
  outcome: string;
  actorUserId: string | null;
  subjectUserId: string | null;
  sessionId: string | null;
  scope: string | null;
  reason: string | null;
}

interface AuditPage {
  items: AuditEventBody[];
  nextCursor: string | null;
}

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe('admin', () => {
  let t: TestApp;
  let server: App;
  let admin: LoggedIn;

  beforeAll(async () => {
    t = await createTestApp({ env: BOOTSTRAP_ENV });
    server = t.app.getHttpServer();
    admin = await loginWith(server, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(() => t.close());

  const bearer = (token: string) => `Bearer ${token}`;
  const adminLogout = (userId: string, body?: object, token = admin.accessToken) => {
    const call = request(server)
      .post(`/admin/users/${userId}/logout`)
      .set('Authorization', bearer(token));
    return body === undefined ? call : call.send(body);
  };
  const adminSessions = (userId: string, token = admin.accessToken) =>
    request(server).get(`/admin/users/${userId}/sessions`).set('Authorization', bearer(token));
  const auditEvents = (
    query: Record<string, string | number | string[]>,
    token = admin.accessToken,
  ) => request(server).get('/admin/audit-events').query(query).set('Authorization', bearer(token));
  const meStatus = async (session: LoggedIn) =>
    (await request(server).get('/auth/me').set('Authorization', bearer(session.accessToken)))
      .status;
  const refreshStatus = async (session: LoggedIn) =>
    (await request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken }))
      .status;

  /** Every page of the audit trail for `query`, following `nextCursor` to the end. */
  async function allPages(query: Record<string, string | number>): Promise<AuditPage[]> {
    const pages: AuditPage[] = [];
    let cursor: string | null = null;
    do {
      const response = await auditEvents(cursor ? { ...query, cursor } : query).expect(200);
      const page = response.body as AuditPage;
      pages.push(page);
      cursor = page.nextCursor;
      if (pages.length > 100) throw new Error('pagination does not end');
    } while (cursor !== null);
    return pages;
  }

  /** Ids of every event of a user (as actor or subject), in the API's order. */
  async function orderedIdsFromDb(userId: string): Promise<string[]> {
    const rows: { id: string }[] = await t.dataSource.query(
      `SELECT id FROM audit_events WHERE actor_user_id = $1 OR subject_user_id = $1
       ORDER BY occurred_at DESC, id DESC`,
      [userId],
    );
    return rows.map((row) => row.id);
  }

  /**
   * `count` events of `userId` straight into the table, in threes sharing one timestamp (ties
   * broken by id only) and with microsecond timestamps, as the database's own `now()` writes
   * them; every other one has the user only as its subject.
   */
  async function seedEvents(userId: string, count: number, start = '2020-01-01T00:00:00Z') {
    await t.dataSource.query(
      `INSERT INTO audit_events (occurred_at, action, outcome, actor_user_id, subject_user_id, reason)
       SELECT $2::timestamptz + (n / 3) * interval '1.000123 second', 'seeded', 'success',
              CASE WHEN n % 2 = 0 THEN $1::uuid ELSE NULL END, $1::uuid, 'seed-' || n
       FROM generate_series(1, $3::int) n`,
      [userId, start, count],
    );
  }

  describe('bootstrap admin', () => {
    it('is created at start-up with roles ["admin"], carried by its tokens', async () => {
      const response = await request(server)
        .post('/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
        .expect(200);
      expect(response.body.user).toEqual({
        id: admin.userId,
        email: ADMIN_EMAIL,
        roles: ['admin'],
      });
      expect(claimsOf(response.body.accessToken as string).roles).toEqual(['admin']);
      const me = await request(server)
        .get('/auth/me')
        .set('Authorization', bearer(admin.accessToken))
        .expect(200);
      expect(me.body.roles).toEqual(['admin']);
      const rows: { id: string; roles: string[] }[] = await t.dataSource.query(
        'SELECT id, roles FROM users WHERE lower(email) = lower($1)',
        [ADMIN_EMAIL],
      );
      expect(rows).toEqual([{ id: admin.userId, roles: ['admin'] }]);
    });

    it('is created once across restarts, and an existing user of that email is left as it is', async () => {
      const database = await createTestDatabase();
      const start = async (
        env: Record<string, string>,
        body: (app: TestApp, server: App) => Promise<void>,
      ) => {
        const app = await createTestApp({ database, env });
        try {
          await body(app, app.app.getHttpServer());
        } finally {
          await app.close();
        }
      };
      type UserRow = { id: string; email: string; roles: string[]; password_hash: string };
      const usersByEmail = (app: TestApp, email: string): Promise<UserRow[]> =>
        app.dataSource.query(
          'SELECT id, email, roles, password_hash FROM users WHERE lower(email) = lower($1)',
          [email],
        );
      try {
        // The first start creates the admin; a user registers who is not named by it (yet).
        let existing: { userId: string; email: string; password: string } | undefined;
        let existingRow: UserRow | undefined;
        let adminRow: UserRow | undefined;
        await start(BOOTSTRAP_ENV, async (app, appServer) => {
          const rows = await usersByEmail(app, ADMIN_EMAIL);
          expect(rows).toEqual([expect.objectContaining({ roles: ['admin'] })]);
          adminRow = rows[0];
          existing = await registerUser(appServer, 'the original password');
          [existingRow] = await usersByEmail(app, existing.email);
        });
        if (!existing || !existingRow || !adminRow) throw new Error('first start failed');
        const [known, knownRow, admin1] = [existing, existingRow, adminRow];
        // A second start with the same configuration finds the admin and adds nothing.
        await start(BOOTSTRAP_ENV, async (app, appServer) => {
          expect(await usersByEmail(app, ADMIN_EMAIL)).toEqual([admin1]);
          const [{ count }]: { count: string }[] = await app.dataSource.query(
            'SELECT count(*) AS count FROM users',
          );
          expect(Number(count)).toBe(2);
          const loggedIn = await loginWith(appServer, ADMIN_EMAIL, ADMIN_PASSWORD);
          expect(claimsOf(loggedIn.accessToken).roles).toEqual(['admin']);
        });
        // Bootstrap naming an existing user (in another case) neither promotes nor re-passwords it.
        await start(
          {
            BOOTSTRAP_ADMIN_EMAIL: known.email.toUpperCase(),
            BOOTSTRAP_ADMIN_PASSWORD: 'an attacker-chosen password',
          },
          async (app, appServer) => {
            expect(await usersByEmail(app, known.email)).toEqual([knownRow]);
            expect(knownRow.roles).toEqual([]);
            expect(await usersByEmail(app, ADMIN_EMAIL)).toEqual([admin1]);
            const loggedIn = await request(appServer)
              .post('/auth/login')
              .send({ email: known.email, password: 'the original password' })
              .expect(200);
            expect(loggedIn.body.user.roles).toEqual([]);
            await request(appServer)
              .post('/auth/login')
              .send({ email: known.email, password: 'an attacker-chosen password' })
              .expect(401);
          },
        );
      } finally {
        await database.drop();
      }
    });
  });

  describe('role checks', () => {
    /** Each admin route, called with `token` (none when undefined). */
    const routes: [string, (userId: string, token: string | undefined) => request.Test][] = [
      [
        'POST /admin/users/:userId/logout',
        (userId, token) => withToken(request(server).post(`/admin/users/${userId}/logout`), token),
      ],
      [
        'GET /admin/users/:userId/sessions',
        (userId, token) => withToken(request(server).get(`/admin/users/${userId}/sessions`), token),
      ],
      [
        'GET /admin/audit-events',
        (userId, token) =>
          withToken(request(server).get('/admin/audit-events').query({ userId }), token),
      ],
    ];
    const withToken = (call: request.Test, token: string | undefined) =>
      token === undefined ? call : call.set('Authorization', bearer(token));

    it.each(routes)('%s: 403 for a non-admin, revoking nothing', async (_route, call) => {
      const [user] = await userWithSessions(server, 1);
      const [target] = await userWithSessions(server, 1);
      expectContractError(await call(target.userId, user.accessToken), 403, 'forbidden');
      // Not even on themselves.
      expectContractError(await call(user.userId, user.accessToken), 403, 'forbidden');
      expect(await meStatus(target)).toBe(200);
      expect(await meStatus(user)).toBe(200);
      const events: unknown[] = await t.dataSource.query(
        "SELECT 1 FROM audit_events WHERE action = 'admin_logout' AND subject_user_id = ANY($1)",
        [[user.userId, target.userId]],
      );
      expect(events).toEqual([]);
    });

    it.each(routes)('%s: 401 without a token or with a bad one', async (_route, call) => {
      const [target] = await userWithSessions(server, 1);
      const anonymous = await call(target.userId, undefined);
      expectContractError(anonymous, 401, 'missing_token');
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      const garbage = await call(target.userId, 'not-a-jwt');
      expectContractError(garbage, 401, 'invalid_token');
      expect(garbage.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(await meStatus(target)).toBe(200);
    });

    it('401 for an admin token whose session has ended', async () => {
      const other = await loginWith(server, ADMIN_EMAIL, ADMIN_PASSWORD);
      await request(server)
        .post('/auth/logout')
        .set('Authorization', bearer(other.accessToken))
        .send({ scope: 'local' })
        .expect(200);
      expectContractError(await auditEvents({ limit: 1 }, other.accessToken), 401);
      await auditEvents({ limit: 1 }).expect(200);
    });
  });

  describe('POST /admin/users/:userId/logout', () => {
    it('ends every session of the user: all their tokens are refused everywhere', async () => {
      const sessions = await userWithSessions(server, 3);
      const [stranger] = await userWithSessions(server, 1);
      const subject = sessions[0];

      const response = await adminLogout(subject.userId, { reason: 'laptop stolen' })
        .set('X-Request-Id', 'admin-logout-3')
        .expect(200);
      expect(response.body).toEqual({
        message: expect.any(String),
        timestamp: expect.stringMatching(ISO_MS),
        revokedSessions: 3,
      });

      for (const session of sessions) {
        const auth = bearer(session.accessToken);
        const refused = [
          await request(server).get('/auth/me').set('Authorization', auth),
          await request(server).get('/auth/sessions').set('Authorization', auth),
          await request(server)
            .post('/auth/reauthenticate')
            .set('Authorization', auth)
            .send({ password: session.password }),
          await request(server)
            .post('/auth/password')
            .set('Authorization', auth)
            .send({ currentPassword: session.password, newPassword: 'a brand new password' }),
          await request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken }),
        ];
        for (const refusal of refused) expect(refusal.status).toBe(401);
      }
      expect(await meStatus(stranger)).toBe(200);
      expect(await refreshStatus(stranger)).toBe(200);

      const rows: { ended_at: Date | null; end_reason: string | null }[] = await t.dataSource.query(
        'SELECT ended_at, end_reason FROM sessions WHERE user_id = $1',
        [subject.userId],
      );
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.end_reason).toBe('admin_logout');
        expect(row.ended_at?.toISOString()).toBe(response.body.timestamp);
      }

      const events: Record<string, unknown>[] = await t.dataSource.query(
        `SELECT action, outcome, actor_user_id, subject_user_id, session_id, scope, reason,
                request_id, occurred_at
         FROM audit_events WHERE action = 'admin_logout' AND subject_user_id = $1`,
        [subject.userId],
      );
      expect(events).toEqual([
        {
          action: 'admin_logout',
          outcome: 'success',
          actor_user_id: admin.userId,
          subject_user_id: subject.userId,
          session_id: admin.sessionId,
          scope: 'global',
          reason: 'laptop stolen',
          request_id: 'admin-logout-3',
          occurred_at: new Date(response.body.timestamp as string),
        },
      ]);

      // The account itself is not locked: the password (unchanged) still signs in.
      const again = await login(server, subject, 'after-admin-logout');
      expect(await meStatus(again)).toBe(200);
    });

    it.each([
      ['no body', undefined],
      ['an empty body', {}],
    ])('works with %s (the reason is optional)', async (_name, body) => {
      const [session] = await userWithSessions(server, 1);
      const response = await adminLogout(session.userId, body).expect(200);
      expect(response.body.revokedSessions).toBe(1);
      expect(await meStatus(session)).toBe(401);
      const events: { reason: string | null }[] = await t.dataSource.query(
        "SELECT reason FROM audit_events WHERE action = 'admin_logout' AND subject_user_id = $1",
        [session.userId],
      );
      expect(events).toEqual([{ reason: null }]);
      // Again: nothing left to end, still 200 and audited.
      const second = await adminLogout(session.userId, body).expect(200);
      expect(second.body.revokedSessions).toBe(0);
    });

    it('accepts a reason of exactly 500 characters and stores it', async () => {
      const [session] = await userWithSessions(server, 1);
      await adminLogout(session.userId, { reason: 'r'.repeat(500) }).expect(200);
      const [event]: { reason: string }[] = await t.dataSource.query(
        "SELECT reason FROM audit_events WHERE action = 'admin_logout' AND subject_user_id = $1",
        [session.userId],
      );
      expect(event.reason).toBe('r'.repeat(500));
    });

    it.each([
      ['longer than 500 characters', { reason: 'r'.repeat(501) }, /reason/],
      ['not a string', { reason: 42 }, /reason/],
      ['with an unknown field', { reason: 'ok', scope: 'local' }, /scope/],
    ])('400 for a reason %s, and nothing is revoked', async (_name, body, message) => {
      const [session] = await userWithSessions(server, 1);
      const response = await adminLogout(session.userId, body);
      expect(expectContractError(response, 400, 'validation_failed').message).toMatch(message);
      expect(await meStatus(session)).toBe(200);
      expect(await refreshStatus(session)).toBe(200);
      const events: unknown[] = await t.dataSource.query(
        "SELECT 1 FROM audit_events WHERE action = 'admin_logout' AND subject_user_id = $1",
        [session.userId],
      );
      expect(events).toEqual([]);
    });

    it('404 for an unknown user id, 400 for a malformed one', async () => {
      const unknown = randomUUID();
      expectContractError(await adminLogout(unknown, {}), 404, 'not_found');
      const events: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM audit_events WHERE subject_user_id = $1',
        [unknown],
      );
      expect(events).toEqual([]);
      for (const malformed of ['not-a-uuid', '123', `${randomUUID()}x`]) {
        const response = await adminLogout(malformed, {});
        expect(expectContractError(response, 400, 'validation_failed').message).toMatch(/userId/);
      }
    });
  });

  describe('GET /admin/users/:userId/sessions', () => {
    it('lists the live sessions of the user, without `current`', async () => {
      const [first, second, third] = await userWithSessions(server, 3);
      await request(server)
        .post('/auth/logout')
        .set('Authorization', bearer(second.accessToken))
        .send({ scope: 'local' })
        .expect(200);
      const response = await adminSessions(first.userId).expect(200);
      const sessions = response.body as Record<string, unknown>[];
      expect(sessions.map((session) => session.id).sort()).toEqual(
        [first.sessionId, third.sessionId].sort(),
      );
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual([
          'createdAt',
          'expiresAt',
          'id',
          'ipAddress',
          'lastActiveAt',
          'userAgent',
        ]);
        expect(session.createdAt).toMatch(ISO_MS);
        expect(session.lastActiveAt).toMatch(ISO_MS);
        expect(session.expiresAt).toMatch(ISO_MS);
        expect(typeof session.ipAddress).toBe('string');
      }
      const agents = Object.fromEntries(sessions.map((session) => [session.id, session.userAgent]));
      expect(agents).toEqual({ [first.sessionId]: 'device-0', [third.sessionId]: 'device-2' });

      // After an admin logout the list is empty, but the user still exists: 200 [].
      await adminLogout(first.userId, {}).expect(200);
      expect((await adminSessions(first.userId).expect(200)).body).toEqual([]);
    });

    it('404 for an unknown user, 400 for a malformed id', async () => {
      expectContractError(await adminSessions(randomUUID()), 404, 'not_found');
      const malformed = await adminSessions('not-a-uuid');
      expect(expectContractError(malformed, 400, 'validation_failed').message).toMatch(/userId/);
    });
  });

  describe('GET /admin/audit-events', () => {
    it('filters by user, as actor or as subject, and by action; items have the contract shape', async () => {
      const [subject] = await userWithSessions(server, 1);
      const logout = await adminLogout(subject.userId, { reason: 'audit filter check' })
        .set('User-Agent', 'admin-dashboard')
        .expect(200);

      const forSubject = (await auditEvents({ userId: subject.userId }).expect(200))
        .body as AuditPage;
      expect(forSubject.nextCursor).toBeNull();
      expect(forSubject.items.map((event) => event.action)).toEqual(['admin_logout', 'login']);
      const [adminEvent, loginEvent] = forSubject.items;
      expect(Object.keys(adminEvent).sort()).toEqual(AUDIT_EVENT_KEYS);
      expect(adminEvent).toEqual({
        id: expect.any(String),
        occurredAt: logout.body.timestamp,
        action: 'admin_logout',
        outcome: 'success',
        actorUserId: admin.userId,
        subjectUserId: subject.userId,
        sessionId: admin.sessionId,
        scope: 'global',
        reason: 'audit filter check',
        ipAddress: expect.any(String),
        userAgent: 'admin-dashboard',
        requestId: logout.headers['x-request-id'],
      });
      expect(loginEvent).toMatchObject({
        actorUserId: subject.userId,
        subjectUserId: subject.userId,
        sessionId: subject.sessionId,
        outcome: 'success',
      });

      // The same event shows up under the admin, as its actor.
      const forAdmin = (
        await auditEvents({ userId: admin.userId, action: 'admin_logout', limit: 200 }).expect(200)
      ).body as AuditPage;
      expect(forAdmin.items.map((event) => event.id)).toContain(adminEvent.id);
      for (const event of forAdmin.items) {
        expect(event.action).toBe('admin_logout');
        expect(event.actorUserId === admin.userId || event.subjectUserId === admin.userId).toBe(
          true,
        );
      }

      const byAction = (await auditEvents({ action: 'admin_logout', limit: 200 }).expect(200))
        .body as AuditPage;
      expect(byAction.items.map((event) => event.id)).toContain(adminEvent.id);
      expect(new Set(byAction.items.map((event) => event.action))).toEqual(
        new Set(['admin_logout']),
      );
      const none = (await auditEvents({ userId: subject.userId, action: 'password_changed' }))
        .body as AuditPage;
      expect(none).toEqual({ items: [], nextCursor: null });
      expect((await auditEvents({ userId: randomUUID() }).expect(200)).body).toEqual({
        items: [],
        nextCursor: null,
      });
    });

    it('filters by time: from and to are inclusive bounds', async () => {
      const userId = randomUUID();
      const times = [
        '2021-03-01T10:00:00.000Z',
        '2021-03-02T10:00:00.000Z',
        '2021-03-03T10:00:00.000Z',
      ];
      for (const time of times) {
        await t.dataSource.query(
          `INSERT INTO audit_events (occurred_at, action, outcome, actor_user_id, subject_user_id)
           VALUES ($1, 'login', 'success', $2, $2)`,
          [time, userId],
        );
      }
      const occurred = async (query: Record<string, string>) =>
        ((await auditEvents({ userId, ...query }).expect(200)).body as AuditPage).items.map(
          (event) => event.occurredAt,
        );
      expect(await occurred({})).toEqual([...times].reverse());
      expect(await occurred({ from: times[1] })).toEqual([times[2], times[1]]);
      expect(await occurred({ to: times[1] })).toEqual([times[1], times[0]]);
      expect(await occurred({ from: times[1], to: times[1] })).toEqual([times[1]]);
      expect(
        await occurred({ from: '2021-03-01T12:00:00Z', to: '2021-03-03T09:59:59.999Z' }),
      ).toEqual([times[1]]);
      // A date alone is midnight UTC; any precision up to nanoseconds is read.
      expect(await occurred({ from: '2021-03-02', to: '2021-03-03T09:59:59.999999999Z' })).toEqual([
        times[1],
      ]);
      // Offsets other than Z are the same instants.
      expect(await occurred({ from: '2021-03-02T11:00:00.000+01:00' })).toEqual([
        times[2],
        times[1],
      ]);
    });

    it.each([
      [{ from: 'yesterday' }, /from/],
      [{ to: '2021-13-01T00:00:00Z' }, /to/],
      [{ from: '2021-02-30T00:00:00Z' }, /from/],
      // ISO 8601 forms that are no instant a client could mean unambiguously.
      [{ from: '2021-W09-1' }, /from/],
      [{ from: '20210301' }, /from/],
      [{ to: '2021-03-01T10Z' }, /to/],
      [{ to: '2021-03-01T10:00:00,5Z' }, /to/],
      [{ from: '2021-03-01T10:00:00' }, /from/],
      [{ from: '2021-03-02T00:00:00Z', to: '2021-03-01T00:00:00Z' }, /from/],
      [{ limit: 0 }, /limit/],
      [{ limit: 201 }, /limit/],
      [{ limit: 'abc' }, /limit/],
      [{ limit: '1.5' }, /limit/],
      [{ limit: -1 }, /limit/],
      [{ userId: 'not-a-uuid' }, /userId/],
      [{ action: 'DROP TABLE' }, /action/],
      [{ unknown: 'x' }, /unknown/],
      [{ from: ['2021-03-01T00:00:00Z', '2021-03-02T00:00:00Z'] }, /from/],
    ])('400 for %j', async (query, message) => {
      const response = await auditEvents(query);
      expect(expectContractError(response, 400, 'validation_failed').message).toMatch(message);
    });

    it('pages 50 events by default, up to 200 on request, newest first', async () => {
      const userId = randomUUID();
      await seedEvents(userId, 210);
      const all = await orderedIdsFromDb(userId);
      expect(all).toHaveLength(210);

      const byDefault = (await auditEvents({ userId }).expect(200)).body as AuditPage;
      expect(byDefault.items.map((event) => event.id)).toEqual(all.slice(0, 50));
      expect(byDefault.nextCursor).toEqual(expect.any(String));
      const times = byDefault.items.map((event) => Date.parse(event.occurredAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      const max = (await auditEvents({ userId, limit: 200 }).expect(200)).body as AuditPage;
      expect(max.items.map((event) => event.id)).toEqual(all.slice(0, 200));
      const one = (await auditEvents({ userId, limit: 1 }).expect(200)).body as AuditPage;
      expect(one.items.map((event) => event.id)).toEqual(all.slice(0, 1));
    });

    it('pages through every event exactly once, ties and microseconds included', async () => {
      const [user] = await userWithSessions(server, 3);
      await seedEvents(user.userId, 22);
      const all = await orderedIdsFromDb(user.userId);
      expect(all).toHaveLength(25);

      for (const limit of [7, 5, 1]) {
        const pages = await allPages({ userId: user.userId, limit });
        const ids = pages.flatMap((page) => page.items.map((event) => event.id));
        expect(ids).toEqual(all);
        expect(new Set(ids).size).toBe(ids.length);
        expect(pages).toHaveLength(Math.ceil(25 / limit));
        for (const page of pages.slice(0, -1)) expect(page.items).toHaveLength(limit);
        // The last page says so itself: no empty page after it.
        expect(pages[pages.length - 1].items.length).toBeGreaterThan(0);
      }
    });

    it('continues a page sequence without duplicates or gaps while new events arrive', async () => {
      const [user] = await userWithSessions(server, 1);
      await seedEvents(user.userId, 20, '2022-06-01T00:00:00Z');
      const snapshot = await orderedIdsFromDb(user.userId);

      const first = (await auditEvents({ userId: user.userId, limit: 6 }).expect(200))
        .body as AuditPage;
      expect(first.items.map((event) => event.id)).toEqual(snapshot.slice(0, 6));

      // New events, newer than everything paged so far: two logins and an admin logout.
      await login(server, user, 'while-paging-1');
      await login(server, user, 'while-paging-2');
      await adminLogout(user.userId, { reason: 'while paging' }).expect(200);
      expect(await orderedIdsFromDb(user.userId)).toHaveLength(snapshot.length + 3);

      const rest: string[] = [];
      let cursor = first.nextCursor;
      while (cursor !== null) {
        const page = (await auditEvents({ userId: user.userId, limit: 6, cursor }).expect(200))
          .body as AuditPage;
        rest.push(...page.items.map((event) => event.id));
        cursor = page.nextCursor;
      }
      expect([...first.items.map((event) => event.id), ...rest]).toEqual(snapshot);

      // A fresh first page starts with the new events.
      const fresh = (await auditEvents({ userId: user.userId, limit: 3 }).expect(200))
        .body as AuditPage;
      expect(fresh.items.map((event) => event.action)).toEqual(['admin_logout', 'login', 'login']);
    });

    it('400 for a cursor this service did not issue', async () => {
      const userId = randomUUID();
      await seedEvents(userId, 5);
      const page = (await auditEvents({ userId, limit: 2 }).expect(200)).body as AuditPage;
      const cursor = page.nextCursor as string;
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const tampered = [
        'not-a-cursor',
        cursor.slice(0, -4),
        `${cursor}x`,
        encode(['2021-01-01T00:00:00.000Z']),
        encode(['yesterday', randomUUID()]),
        encode(['2021-01-01T00:00:00.000Z', "x' OR '1'='1"]),
        encode({ occurredAt: '2021-01-01T00:00:00.000Z', id: randomUUID() }),
        'A'.repeat(201),
      ];
      for (const value of tampered) {
        const response = await auditEvents({ userId, limit: 2, cursor: value });
        expect(expectContractError(response, 400, 'validation_failed').message).toMatch(/cursor/);
      }
      await auditEvents({ userId, limit: 2, cursor }).expect(200);
    });
  });

  describe('query plans of the audit trail', () => {
    it('reads the audit_events_* indexes in order, never sorting a scan of the whole table', async () => {
      // 20,000 events of 200 users; one user is the actor of 400 and the subject of 400 more,
      // so that one page of theirs is a small part of their history and of the table.
      const users: { id: string }[] = await t.dataSource.query(
        'SELECT gen_random_uuid() AS id FROM generate_series(1, 200)',
      );
      const ids = users.map((user) => user.id);
      const busy = ids[0];
      await t.dataSource.query(
        `INSERT INTO audit_events (occurred_at, action, outcome, actor_user_id, subject_user_id, session_id)
         SELECT timestamptz '2023-01-01' + n * interval '1 minute',
                CASE WHEN n % 5 = 0 THEN 'logout' ELSE 'login' END, 'success',
                CASE WHEN n % 50 = 0 THEN $2::uuid ELSE ($1::uuid[])[2 + n % 199] END,
                CASE WHEN n % 50 = 1 THEN $2::uuid ELSE ($1::uuid[])[2 + (n * 7) % 199] END,
                gen_random_uuid()
         FROM generate_series(1, 20000) n`,
        [ids, busy],
      );
      await t.dataSource.query('ANALYZE audit_events');

      // The repository's own SQL, captured as it runs, then explained with the same parameters.
      const repository = t.app.get(AuditEventRepository);
      const explain = async (filter: Parameters<AuditEventRepository['page']>[0]) => {
        const spy = jest.spyOn(t.dataSource, 'query');
        try {
          await repository.page(filter);
          const [sql, params] = spy.mock.calls[0] as [string, unknown[]];
          spy.mockRestore();
          const rows: { 'QUERY PLAN': string }[] = await t.dataSource.query(
            `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${sql}`,
            params,
          );
          return rows.map((row) => row['QUERY PLAN']).join('\n');
        } finally {
          spy.mockRestore();
        }
      };
      // Half way through the seeded events.
      const before = { occurredAt: '2023-01-07T22:40:00.000000Z', id: randomUUID() };
      const plans = {
        'unfiltered, first page': await explain({ limit: 51 }),
        'unfiltered, after a cursor': await explain({ limit: 51, before }),
        'by user, first page': await explain({ userId: busy, limit: 51 }),
        'by user, after a cursor': await explain({ userId: busy, limit: 51, before }),
      };
      console.log(
        Object.entries(plans)
          .map(([name, plan]) => `EXPLAIN audit trail page, ${name}:\n${plan}`)
          .join('\n\n'),
      );

      for (const plan of Object.values(plans)) {
        expect(plan).not.toMatch(/Seq Scan/);
        // No node reads more than one page (limit + 1) and its share of the other index.
        for (const match of plan.matchAll(/actual rows=(\d+)/g)) {
          expect(Number(match[1])).toBeLessThanOrEqual(2 * 51);
        }
      }
      for (const name of ['unfiltered, first page', 'unfiltered, after a cursor'] as const) {
        expect(plans[name]).toMatch(/Index (Only )?Scan using audit_events_time_idx/);
        expect(plans[name]).not.toMatch(/Sort/);
      }
      for (const name of ['by user, first page', 'by user, after a cursor'] as const) {
        expect(plans[name]).toMatch(/Index (Only )?Scan using audit_events_actor_time_idx/);
        expect(plans[name]).toMatch(/Index (Only )?Scan using audit_events_subject_time_idx/);
      }
      // The cursor bounds the index range itself rather than filtering rows after reading them.
      expect(plans['unfiltered, after a cursor']).toMatch(/Index Cond: .*occurred_at/);
      expect(plans['by user, after a cursor']).toMatch(
        /Index Cond: \(\(actor_user_id = .*occurred_at/,
      );
      expect(plans['by user, after a cursor']).toMatch(
        /Index Cond: \(\(subject_user_id = .*occurred_at/,
      );
    });
  });
});
