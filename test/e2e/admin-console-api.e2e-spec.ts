import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { type App } from 'supertest/types';
import { AuditRetentionJob } from '../../src/auth/services/audit-retention.job';
import {
  type LoggedIn,
  login,
  loginWith,
  registerUser,
  userWithSessions,
} from '../factories/session.factory';
import { uniqueEmail } from '../factories/user.factory';
import { expectContractError } from '../utils/contract-error';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const ADMIN_EMAIL = 'console-admin@example.test';
const ADMIN_PASSWORD = 'console admin password';
const STEP_UP_MAX_AGE_MS = 5 * 60_000;

interface UserRow {
  id: string;
  email: string;
  roles: string[];
  status: string;
  createdAt: string;
  liveSessions: number;
}

interface AuditRow {
  action: string;
  outcome: string;
  actorUserId: string | null;
  subjectUserId: string | null;
  sessionId: string | null;
  reason: string | null;
  ipAddress: string | null;
  requestId: string | null;
}

describe('admin console API', () => {
  let t: TestApp;
  let server: App;
  let admin: LoggedIn;

  beforeAll(async () => {
    t = await createTestApp({
      env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    server = t.app.getHttpServer();
    admin = await loginWith(server, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(() => t.close());

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const get = (
    path: string,
    query: Record<string, string | number> = {},
    token = admin.accessToken,
  ) => request(server).get(path).query(query).set(as(token));
  const post = (path: string, body?: object, token = admin.accessToken) => {
    const call = request(server).post(path).set(as(token));
    return body === undefined ? call : call.send(body);
  };
  const del = (path: string, body?: object, token = admin.accessToken) => {
    const call = request(server).delete(path).set(as(token));
    return body === undefined ? call : call.send(body);
  };
  const meStatus = async (session: LoggedIn) =>
    (await request(server).get('/auth/me').set(as(session.accessToken))).status;
  const refreshStatus = async (session: LoggedIn) =>
    (await request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken }))
      .status;
  const events = async (query: Record<string, string>): Promise<AuditRow[]> =>
    (await get('/admin/audit-events', { limit: 200, ...query }).expect(200)).body
      .items as AuditRow[];
  const liveSessionIds = async (userId: string): Promise<string[]> =>
    ((await get(`/admin/users/${userId}/sessions`).expect(200)).body as { id: string }[]).map(
      (session) => session.id,
    );
  describe('GET /admin/users', () => {
    it('finds users by email prefix, case-insensitively, with roles, status, created and live sessions', async () => {
      const tag = `find${randomUUID().slice(0, 8)}`;
      const user = await registerUser(server);
      const email = `${tag}.Someone@Example.test`;
      await request(server)
        .post('/auth/register')
        .send({ email, password: user.password })
        .expect(201);
      const target = await loginWith(server, email, user.password);
      await loginWith(server, email, user.password);

      const response = await get('/admin/users', { query: tag.toUpperCase() }).expect(200);
      expect(response.body.nextCursor).toBeNull();
      expect(response.body.items).toEqual([
        {
          id: target.userId,
          email: expect.stringMatching(new RegExp(`^${tag}\\.someone@example\\.test$`, 'i')),
          roles: [],
          status: 'active',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          liveSessions: 2,
        },
      ]);
    });

    it('finds a user by exact id', async () => {
      const [session] = await userWithSessions(server, 1);
      const response = await get('/admin/users', { query: session.userId }).expect(200);
      expect((response.body.items as UserRow[]).map((row) => row.id)).toEqual([session.userId]);
    });

    it('treats LIKE wildcards in the query as plain characters', async () => {
      await registerUser(server);
      const response = await get('/admin/users', { query: '%' }).expect(200);
      expect(response.body.items).toEqual([]);
    });

    it('pages in email order with a keyset cursor: every match once, none skipped', async () => {
      const tag = `page${randomUUID().slice(0, 8)}`;
      const emails: string[] = [];
      for (let i = 0; i < 7; i++) {
        const email = `${tag}.${String(i).padStart(2, '0')}@example.test`;
        await request(server)
          .post('/auth/register')
          .send({ email, password: 'a fine password' })
          .expect(201);
        emails.push(email);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string | number> = { query: tag, limit: 3 };
        if (cursor) query.cursor = cursor;
        const body = (await get('/admin/users', query).expect(200)).body as {
          items: UserRow[];
          nextCursor: string | null;
        };
        seen.push(...body.items.map((row) => row.email.toLowerCase()));
        cursor = body.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(emails);
    });

    it('refuses bad input with 400 and the contract body', async () => {
      for (const query of [
        { limit: 0 },
        { limit: 101 },
        { limit: 'x' },
        { cursor: 'nope' },
        { query: 'a\u0000b' },
        { other: 1 },
      ] as Record<string, string | number>[]) {
        expectContractError(await get('/admin/users', query), 400, 'validation_failed');
      }
    });
  });

  describe('GET /admin/users/:userId', () => {
    it('returns the user with status and live session count; 404 unknown; 400 not a UUID', async () => {
      const sessions = await userWithSessions(server, 3);
      const response = await get(`/admin/users/${sessions[0].userId}`).expect(200);
      expect(response.body).toEqual(
        expect.objectContaining({ id: sessions[0].userId, status: 'active', liveSessions: 3 }),
      );
      expectContractError(await get(`/admin/users/${randomUUID()}`), 404, 'not_found');
      expectContractError(await get('/admin/users/not-a-uuid'), 400, 'validation_failed');
    });
  });

  describe('role checks', () => {
    it('refuses every admin route to a non-admin (403) and to no token (401)', async () => {
      const [user] = await userWithSessions(server, 1);
      const routes: [string, string][] = [
        ['get', '/admin/users'],
        ['get', `/admin/users/${user.userId}`],
        ['get', '/admin/stats'],
        ['get', '/admin/audit-events/export'],
        ['delete', `/admin/sessions/${user.sessionId}`],
        ['post', `/admin/users/${user.userId}/suspend`],
        ['post', `/admin/users/${user.userId}/reactivate`],
        ['post', '/admin/sessions/revoke-all'],
      ];
      for (const [method, path] of routes) {
        const call =
          method === 'get'
            ? request(server).get(path)
            : method === 'delete'
              ? request(server).delete(path)
              : request(server).post(path).send({ reason: 'x' });
        expectContractError(await call, 401);
        const asUser =
          method === 'get'
            ? request(server).get(path).set(as(user.accessToken))
            : method === 'delete'
              ? request(server).delete(path).set(as(user.accessToken))
              : request(server).post(path).set(as(user.accessToken)).send({ reason: 'x' });
        expectContractError(await asUser, 403, 'forbidden');
      }
      // Nothing happened to the user.
      expect(await meStatus(user)).toBe(200);
    });
  });

  describe('DELETE /admin/sessions/:sessionId', () => {
    it('ends exactly that session, its access token refused at once, audited with the admin as actor', async () => {
      const [first, second] = await userWithSessions(server, 2);
      await del(`/admin/sessions/${first.sessionId}`, { reason: 'lost laptop' }).expect(204);

      expect(await meStatus(first)).toBe(401);
      expect(await refreshStatus(first)).toBe(401);
      expect(await meStatus(second)).toBe(200);
      expect(await liveSessionIds(first.userId)).toEqual([second.sessionId]);
      const [event] = await events({ userId: first.userId, action: 'admin_session_revoked' });
      expect(event).toEqual(
        expect.objectContaining({
          outcome: 'success',
          actorUserId: admin.userId,
          subjectUserId: first.userId,
          sessionId: first.sessionId,
          reason: 'lost laptop',
        }),
      );
    });

    it('answers 404 for an ended or unknown session and 400 for bad input, changing nothing', async () => {
      const [session] = await userWithSessions(server, 1);
      await del(`/admin/sessions/${session.sessionId}`).expect(204);
      expectContractError(await del(`/admin/sessions/${session.sessionId}`), 404, 'not_found');
      expectContractError(await del(`/admin/sessions/${randomUUID()}`), 404, 'not_found');
      const [other] = await userWithSessions(server, 1);
      expectContractError(await del('/admin/sessions/nope'), 400, 'validation_failed');
      for (const body of [
        { reason: 'x'.repeat(501) },
        { reason: 'a\nb' },
        { reason: 7 },
        { extra: true },
      ]) {
        expectContractError(
          await del(`/admin/sessions/${other.sessionId}`, body),
          400,
          'validation_failed',
        );
      }
      expect(await meStatus(other)).toBe(200);
    });
  });

  describe('step-up', () => {
    // An app of its own: moving its clock past the step-up window leaves the other tests alone.
    let own: TestApp;
    beforeAll(async () => {
      own = await createTestApp({
        env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD },
      });
    });
    afterAll(() => own.close());

    it('refuses destructive actions with an old auth_time until the admin reauthenticates', async () => {
      const ownServer = own.app.getHttpServer();
      const call = (method: 'get' | 'post', path: string, token: string, body?: object) => {
        const pending = request(ownServer)[method](path).set(as(token));
        return body === undefined ? pending : pending.send(body);
      };
      const [victim] = await userWithSessions(ownServer, 1);
      const stale = await loginWith(ownServer, ADMIN_EMAIL, ADMIN_PASSWORD);
      own.clock.advance(STEP_UP_MAX_AGE_MS + 1_000);
      const destructive: [string, object][] = [
        [`/admin/users/${victim.userId}/logout`, {}],
        [`/admin/users/${victim.userId}/suspend`, { reason: 'test' }],
        ['/admin/sessions/revoke-all', { reason: 'test' }],
      ];
      for (const [path, body] of destructive) {
        expectContractError(
          await call('post', path, stale.accessToken, body),
          403,
          'reauthentication_required',
        );
      }
      const victimMe = await request(ownServer).get('/auth/me').set(as(victim.accessToken));
      expect(victimMe.status).toBe(200);
      // Reading is not destructive enough to ask again.
      await call('get', '/admin/users', stale.accessToken).expect(200);

      const fresh = await call('post', '/auth/reauthenticate', stale.accessToken, {
        password: ADMIN_PASSWORD,
      }).expect(200);
      const token = fresh.body.accessToken as string;
      const response = await call('post', `/admin/users/${victim.userId}/logout`, token, {}).expect(
        200,
      );
      expect(response.body.revokedSessions).toBe(1);
      const after = await request(ownServer).get('/auth/me').set(as(victim.accessToken));
      expect(after.status).toBe(401);
    });
  });

  describe('suspend and reactivate', () => {
    it('ends every session at once and blocks login and refresh until reactivated, which brings no session back', async () => {
      const sessions = await userWithSessions(server, 2);
      const [first] = sessions;
      const response = await post(`/admin/users/${first.userId}/suspend`, {
        reason: 'fraud review',
      }).expect(200);
      expect(response.body).toEqual({
        userId: first.userId,
        status: 'suspended',
        changed: true,
        revokedSessions: 2,
        timestamp: expect.stringMatching(/Z$/),
      });
      for (const session of sessions) {
        expect(await meStatus(session)).toBe(401);
        expect(await refreshStatus(session)).toBe(401);
      }
      const refused = await request(server)
        .post('/auth/login')
        .send({ email: first.email, password: first.password });
      expectContractError(refused, 403, 'account_suspended');
      // A wrong password still gets the plain 401: suspension is not revealed to a guesser.
      const guess = await request(server)
        .post('/auth/login')
        .send({ email: first.email, password: 'wrong password!' });
      expectContractError(guess, 401, 'invalid_credentials');
      expect((await get(`/admin/users/${first.userId}`).expect(200)).body).toEqual(
        expect.objectContaining({ status: 'suspended', liveSessions: 0 }),
      );
      const [event] = await events({ userId: first.userId, action: 'user_suspended' });
      expect(event).toEqual(
        expect.objectContaining({
          actorUserId: admin.userId,
          subjectUserId: first.userId,
          reason: 'fraud review',
        }),
      );
      const [loginRefusal] = await events({
        userId: first.userId,
        action: 'login',
        outcome: 'failure',
      });
      expect(loginRefusal.reason).toBe('invalid_credentials');

      // Suspending again changes nothing.
      const again = await post(`/admin/users/${first.userId}/suspend`, { reason: 'again' }).expect(
        200,
      );
      expect(again.body).toEqual(expect.objectContaining({ changed: false, revokedSessions: 0 }));

      const reactivated = await post(`/admin/users/${first.userId}/reactivate`, {
        reason: 'cleared',
      }).expect(200);
      expect(reactivated.body).toEqual(
        expect.objectContaining({ status: 'active', changed: true }),
      );
      for (const session of sessions) {
        expect(await meStatus(session)).toBe(401);
        expect(await refreshStatus(session)).toBe(401);
      }
      const back = await login(server, first);
      expect(await meStatus(back)).toBe(200);
      expect(await events({ userId: first.userId, action: 'user_reactivated' })).toHaveLength(1);
    });

    it('refuses bad input and unknown users without changing anything', async () => {
      const [user] = await userWithSessions(server, 1);
      for (const action of ['suspend', 'reactivate']) {
        for (const body of [
          undefined,
          {},
          { reason: '' },
          { reason: 'x'.repeat(501) },
          { reason: 'a\u0007' },
          { reason: 'ok', extra: 1 },
        ]) {
          expectContractError(
            await post(`/admin/users/${user.userId}/${action}`, body),
            400,
            'validation_failed',
          );
        }
        expectContractError(
          await post(`/admin/users/${randomUUID()}/${action}`, { reason: 'r' }),
          404,
          'not_found',
        );
        expectContractError(
          await post(`/admin/users/nope/${action}`, { reason: 'r' }),
          400,
          'validation_failed',
        );
      }
      expect(await meStatus(user)).toBe(200);
      expect((await get(`/admin/users/${user.userId}`).expect(200)).body.status).toBe('active');
    });
  });

  describe('POST /admin/sessions/revoke-all', () => {
    it('ends only sessions started before issuedBefore and reports how many', async () => {
      const [older] = await userWithSessions(server, 1);
      await t.dataSource.query(
        `UPDATE sessions SET created_at = created_at - interval '1 hour' WHERE id = $1`,
        [older.sessionId],
      );
      const [newer] = await userWithSessions(server, 1);
      const issuedBefore = new Date(Date.now() - 30 * 60_000).toISOString();
      const response = await post('/admin/sessions/revoke-all', {
        reason: 'key leak',
        issuedBefore,
      }).expect(200);
      expect(response.body).toEqual({ revokedSessions: 1, timestamp: expect.stringMatching(/Z$/) });
      expect(await meStatus(older)).toBe(401);
      expect(await meStatus(newer)).toBe(200);
      expect(await meStatus(admin)).toBe(200);
      const [perSession] = await events({ userId: older.userId, action: 'session_revoked' });
      expect(perSession).toEqual(
        expect.objectContaining({
          actorUserId: admin.userId,
          sessionId: older.sessionId,
          reason: 'key leak',
        }),
      );
    });

    it('refuses bad input with 400, ending nothing', async () => {
      const [user] = await userWithSessions(server, 1);
      for (const body of [
        {},
        { reason: '' },
        { reason: 'r', issuedBefore: 'yesterday' },
        { reason: 'r', issuedBefore: '2021-02-30T00:00:00Z' },
        { reason: 'r', extra: 1 },
      ]) {
        expectContractError(
          await post('/admin/sessions/revoke-all', body),
          400,
          'validation_failed',
        );
      }
      expect(await meStatus(user)).toBe(200);
    });
  });

  describe('audit filters, stats and retention', () => {
    it('filters by outcome, ipAddress and requestId', async () => {
      const requestId = `req-${randomUUID()}`;
      const email = uniqueEmail();
      await request(server)
        .post('/auth/register')
        .send({ email, password: 'a fine password' })
        .expect(201);
      await request(server)
        .post('/auth/login')
        .set('X-Request-Id', requestId)
        .send({ email, password: 'not the password' })
        .expect(401);
      const byRequest = await events({ requestId });
      expect(byRequest).toEqual([
        expect.objectContaining({ action: 'login', outcome: 'failure', requestId }),
      ]);
      const ip = byRequest[0].ipAddress as string;
      const byIp = await events({ ipAddress: ip, outcome: 'failure' });
      expect(byIp.length).toBeGreaterThan(0);
      expect(byIp.every((event) => event.ipAddress === ip && event.outcome === 'failure')).toBe(
        true,
      );
      for (const query of [
        { outcome: 'maybe' },
        { ipAddress: 'not-an-ip' },
        { requestId: 'a b' },
        { requestId: 'x'.repeat(129) },
      ] as Record<string, string>[]) {
        expectContractError(await get('/admin/audit-events', query), 400, 'validation_failed');
      }
    });

    it('counts the last 24 hours for the status strip', async () => {
      const before = (await get('/admin/stats').expect(200)).body;
      const [session] = await userWithSessions(server, 1);
      await post('/auth/logout', {}, session.accessToken).expect(200);
      const after = (await get('/admin/stats').expect(200)).body;
      expect(after.logouts.success).toBe(before.logouts.success + 1);
      expect(after).toEqual({
        since: expect.stringMatching(/Z$/),
        logouts: { success: expect.any(Number), failure: expect.any(Number) },
        rateLimited: expect.any(Number),
        reuseDetections: expect.any(Number),
      });
    });

    it('removes events older than AUDIT_RETENTION in batches, from several runs at once, and audits the count', async () => {
      const marker = `retention-${randomUUID()}`;
      await t.dataSource.query(
        `INSERT INTO audit_events (occurred_at, action, outcome, reason)
         SELECT now() - interval '401 days' - n * interval '1 second', 'seeded', 'success', $1
         FROM generate_series(1, 2500) n`,
        [marker],
      );
      await t.dataSource.query(
        `INSERT INTO audit_events (occurred_at, action, outcome, reason) VALUES (now() - interval '399 days', 'seeded', 'success', $1)`,
        [marker],
      );
      const job = t.app.get(AuditRetentionJob);
      const removed = await Promise.all([job.purge(), job.purge()]);
      expect(removed[0] + removed[1]).toBeGreaterThanOrEqual(2500);
      const left: { n: number }[] = await t.dataSource.query(
        'SELECT count(*)::int AS n FROM audit_events WHERE reason = $1',
        [marker],
      );
      expect(left[0].n).toBe(1);
      const counted = await events({ action: 'audit_retention' });
      const total = counted.reduce(
        (sum, event) => sum + Number(/removed (\d+) /.exec(event.reason ?? '')?.[1]),
        0,
      );
      expect(total).toBe(removed[0] + removed[1]);
    });
  });
});
