import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import request, { type Response } from 'supertest';
import { type App } from 'supertest/types';
import { SYNC_INTERVAL_MS } from '../../src/auth/revocation/revocation.service';
import { readProcessEnvironment } from '../../src/config/app-config';
import { LOCK_CHECK_INTERVAL_MS } from '../../src/redis/single-instance.check';
import { type LoggedIn, userWithSessions } from '../factories/session.factory';
import { expectContractError } from '../utils/contract-error';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { FaultProxy } from '../utils/fault-proxy';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/**
 * Real faults, injected with a TCP proxy in front of the real PostgreSQL and Redis (which
 * other runs on this machine share, so they are never stopped or blocked themselves), and a
 * real crash (SIGKILL of the service's own process). Needs a PostgreSQL server by design:
 * DATABASE_URL / REDIS_URL when set, the local servers otherwise.
 */
const environment = readProcessEnvironment();
const POSTGRES = environment.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = environment.REDIS_URL || 'redis://127.0.0.1:6379';

const CLIENT = { id: 'crash-check', secret: 'crash-check-secret-0123' };

/** Every request that needs an unreachable dependency is answered within this bound. */
const ANSWER_BOUND_MS = 5_000;
/** Readiness checks answer within a second; allow for a loaded machine. */
const READY_BOUND_MS = 1_500;
/** After the fault is gone, the service works again by itself within this bound. */
const RECOVERY_BOUND_MS = 5_000;

/** Measured bounds, printed at the end of the run for the report. */
const measured: Record<string, number> = {};
afterAll(() => {
  console.log(`faults: measured (ms) ${JSON.stringify(measured, null, 1)}`);
});
const record = (name: string, ms: number) => {
  measured[name] = Math.max(measured[name] ?? 0, Math.round(ms));
};

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; returns how long that took, or throws after `boundMs`. */
async function within(boundMs: number, what: string, probe: () => Promise<boolean>) {
  const started = performance.now();
  for (;;) {
    if (await probe().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > boundMs) throw new Error(`${what}: not within ${boundMs} ms`);
    await sleep(50);
  }
}

function expectUnavailable(response: Response): void {
  expectContractError(response, 503, 'service_unavailable');
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
}

/** No session ended by a logout lacks its success audit event, and no such event lacks its ending. */
async function expectLogoutsAtomic(db: Client): Promise<void> {
  const { rows: endedWithoutAudit } = await db.query<{ id: string }>(
    `SELECT s.id FROM sessions s
     WHERE s.end_reason = 'logout' AND NOT EXISTS (
       SELECT 1 FROM audit_events a
       WHERE a.action = 'logout' AND a.outcome = 'success'
         AND a.actor_user_id = s.user_id AND a.occurred_at = s.ended_at)`,
  );
  expect(endedWithoutAudit).toEqual([]);
  // `local` and `global` end the presented session (or found it already ended: idempotent).
  const { rows: auditWithoutEnding } = await db.query<{ id: string }>(
    `SELECT a.id FROM audit_events a JOIN sessions s ON s.id = a.session_id
     WHERE a.action = 'logout' AND a.outcome = 'success' AND a.scope IN ('local', 'global')
       AND (s.ended_at IS NULL OR s.ended_at > a.occurred_at)`,
  );
  expect(auditWithoutEnding).toEqual([]);
}

async function sessionRow(db: Client, id: string) {
  const { rows } = await db.query<{ ended_at: Date | null; end_reason: string | null }>(
    'SELECT ended_at, end_reason FROM sessions WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function successfulLogoutsOf(db: Client, sessionId: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    `SELECT count(*) FROM audit_events
     WHERE action = 'logout' AND outcome = 'success' AND session_id = $1`,
    [sessionId],
  );
  return Number(rows[0].count);
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

const bearer = (session: LoggedIn) => `Bearer ${session.accessToken}`;

describe('fault injection', () => {
  describe('PostgreSQL unreachable', () => {
    let database: TestDatabase;
    let proxy: FaultProxy;
    let t: TestApp;
    let server: App;
    let direct: Client;

    beforeAll(async () => {
      database = await createTestDatabase(POSTGRES);
      const url = database.env.DATABASE_URL as string;
      proxy = await FaultProxy.forUrl(url, 5432);
      t = await createTestApp({
        database: {
          env: { ...database.env, DATABASE_URL: proxy.rewrite(url) },
          drop: () => Promise.resolve(),
        },
        env: { REDIS_URL: REDIS },
      });
      server = t.app.getHttpServer();
      direct = await connect(url);
    });
    afterAll(async () => {
      proxy?.restore();
      await t?.close();
      await proxy?.close();
      await direct?.end();
      await database?.drop();
    });

    const logout = (session: LoggedIn, scope = 'local') =>
      request(server).post('/auth/logout').set('Authorization', bearer(session)).send({ scope });
    const me = (session: LoggedIn) =>
      request(server).get('/auth/me').set('Authorization', bearer(session));
    const loginAs = (session: LoggedIn) =>
      request(server)
        .post('/auth/login')
        .send({ email: session.email, password: session.password });

    it.each(['refuse', 'blackhole'] as const)(
      'connections %s: 503 with Retry-After in bounded time, readiness names the database, and it recovers by itself',
      async (mode) => {
        const [committed] = await userWithSessions(server, 1);
        const [victim, victimOther] = await userWithSessions(server, 2);
        const [reader] = await userWithSessions(server, 1);
        const done = await logout(committed).expect(200);

        proxy[mode]();
        const answers = {
          login: await timed(() => loginAs(reader)),
          refresh: await timed(() =>
            request(server).post('/auth/refresh').send({ refreshToken: reader.refreshToken }),
          ),
          logout: await timed(() => logout(victim, 'global')),
          me: await timed(() => me(reader)),
        };
        for (const [route, { value, ms }] of Object.entries(answers)) {
          record(`503 ${route} (${mode})`, ms);
          expect({ route, status: value.status }).toEqual({ route, status: 503 });
          expectUnavailable(value);
          expect(ms).toBeLessThan(ANSWER_BOUND_MS);
        }

        const ready = await timed(() => request(server).get('/health/ready'));
        record(`503 /health/ready (${mode})`, ready.ms);
        expect(ready.ms).toBeLessThan(READY_BOUND_MS);
        expectUnavailable(ready.value);
        // The failed check by name; the driver's error text (addresses, users) stays in the log.
        expect(ready.value.body.message).toBe('Not ready: database down');
        // The process itself is fine: liveness does not depend on the database.
        await request(server).get('/health/live').expect(200);

        proxy.restore();
        const recovery = await within(
          RECOVERY_BOUND_MS,
          'login after restore',
          async () => (await loginAs(reader)).status === 200,
        );
        record(`recovery after ${mode}`, recovery);
        await request(server).get('/health/ready').expect(200);

        // The refused logout left everything as it was; the answered one is committed with its audit.
        for (const session of [victim, victimOther])
          expect(await sessionRow(direct, session.sessionId)).toEqual({
            ended_at: null,
            end_reason: null,
          });
        expect(await successfulLogoutsOf(direct, victim.sessionId)).toBe(0);
        const row = await sessionRow(direct, committed.sessionId);
        expect(row.ended_at?.toISOString()).toBe(done.body.timestamp);
        expect(await successfulLogoutsOf(direct, committed.sessionId)).toBe(1);
        await expectLogoutsAtomic(direct);

        // And the refused user can now log out for real.
        await me(victim).expect(200);
        await logout(victim, 'global').expect(200);
        await me(victimOther).expect(401);
      },
    );

    it('a logout racing the cut is answered 200 only when committed with its audit event', async () => {
      const sessions = await Promise.all(
        Array.from({ length: 16 }, async () => (await userWithSessions(server, 1))[0]),
      );
      const answers = sessions.map(async (session, index) => {
        await sleep(index * 3);
        return { session, response: await logout(session) };
      });
      await sleep(20);
      proxy.refuse();
      const settled = await Promise.all(answers);
      proxy.restore();
      await within(RECOVERY_BOUND_MS, 'ready after restore', async () => {
        return (await request(server).get('/health/ready')).status === 200;
      });

      const statuses = settled.map(({ response }) => response.status);
      expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
      expect(statuses).toContain(503);
      for (const { session, response } of settled) {
        const row = await sessionRow(direct, session.sessionId);
        const audits = await successfulLogoutsOf(direct, session.sessionId);
        if (response.status === 200) {
          expect(row.ended_at?.toISOString()).toBe(response.body.timestamp);
          expect(audits).toBe(1);
        } else {
          expectUnavailable(response);
          // A commit whose acknowledgement was lost is possible, a half-written logout is not.
          expect(audits).toBe(row.ended_at === null ? 0 : 1);
        }
      }
      await expectLogoutsAtomic(direct);
    });

    it('a logout that waits on a refresh in flight revokes the refresh token that refresh issued', async () => {
      // A refresh holds the session row and has inserted its new refresh token (uncommitted);
      // a logout of that session waits for it. When the refresh commits, the logout ends the
      // session: the token the refresh just issued must be revoked with the others.
      const [session] = await userWithSessions(server, 1);
      const refresh = await connect(database.env.DATABASE_URL as string);
      try {
        await refresh.query('BEGIN');
        // What SessionService.rotate does, held open: lock the session, touch it, issue a token.
        await refresh.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [session.sessionId]);
        await refresh.query('UPDATE sessions SET last_active_at = now() WHERE id = $1', [
          session.sessionId,
        ]);
        const {
          rows: [issued],
        } = await refresh.query<{ id: string }>(
          `INSERT INTO refresh_tokens (session_id, token_hash, created_at)
           VALUES ($1, decode(md5(random()::text), 'hex'), now()) RETURNING id`,
          [session.sessionId],
        );
        const pending = logout(session).then((response) => response);
        await within(5_000, 'logout waiting on the session lock', async () => {
          const { rows } = await direct.query<{ waiting: string }>(
            `SELECT count(*) AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return Number(rows[0].waiting) > 0;
        });
        await refresh.query('COMMIT');
        expect((await pending).status).toBe(200);
        const { rows } = await direct.query<{ revoked_at: Date | null }>(
          'SELECT revoked_at FROM refresh_tokens WHERE id = $1',
          [issued.id],
        );
        expect({ revokedAt: rows[0].revoked_at }).toEqual({ revokedAt: expect.any(Date) });
      } finally {
        await refresh.end();
      }
    });

    it('a blackhole never exhausts the pool for good: 40 concurrent requests get 503, then it recovers', async () => {
      const [reader] = await userWithSessions(server, 1);
      proxy.blackhole();
      const { value: responses, ms } = await timed(() =>
        Promise.all(Array.from({ length: 40 }, () => me(reader))),
      );
      record('40 concurrent /auth/me in a blackhole', ms);
      for (const response of responses) expectUnavailable(response);
      expect(ms).toBeLessThan(2 * ANSWER_BOUND_MS);
      proxy.restore();
      record(
        'recovery after pool exhaustion',
        await within(RECOVERY_BOUND_MS, 'me after restore', async () => {
          return (await me(reader)).status === 200;
        }),
      );
    });
  });

  describe('PostgreSQL connection cut, without Redis', () => {
    it('the single-instance lock is taken again, so a second instance is still refused', async () => {
      const database = await createTestDatabase(POSTGRES);
      const url = database.env.DATABASE_URL as string;
      const proxy = await FaultProxy.forUrl(url, 5432);
      const direct = await connect(url);
      const withoutRedis = { REDIS_URL: undefined };
      const first = await createTestApp({
        database: {
          env: { ...database.env, DATABASE_URL: proxy.rewrite(url) },
          drop: () => Promise.resolve(),
        },
        env: withoutRedis,
      });
      const lockHolders = async () => {
        const { rows } = await direct.query<{ holders: number }>(
          `SELECT count(*)::int AS holders FROM pg_locks
           WHERE locktype = 'advisory' AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return rows[0].holders;
      };
      try {
        expect(await lockHolders()).toBe(1);
        proxy.cut();
        await within(2_000, 'the lock released with its connection', async () => {
          return (await lockHolders()) === 0;
        });
        record(
          'single-instance lock taken again after a cut',
          await within(LOCK_CHECK_INTERVAL_MS + RECOVERY_BOUND_MS, 'lock taken again', async () => {
            return (await lockHolders()) === 1;
          }),
        );
        await expect(
          createTestApp({ database, env: withoutRedis }).then((second) => second.close()),
        ).rejects.toThrow(/Another instance without REDIS_URL is using this database/);
        await request(first.app.getHttpServer()).get('/health/ready').expect(200);
      } finally {
        await first.close();
        await proxy.close();
        await direct.end();
        await database.drop();
      }
    });
  });

  describe('Redis unreachable', () => {
    let database: TestDatabase;
    let proxy: FaultProxy;
    let pgProxy: FaultProxy;
    /** Reaches Redis (and PostgreSQL) through the proxies. */
    let a: TestApp;
    /** Reaches Redis directly: the rest of the fleet, which never lost it. */
    let b: TestApp;
    let serverA: App;
    let serverB: App;
    /** The test's own view of the shared Redis. */
    let redis: Redis;

    beforeAll(async () => {
      database = await createTestDatabase(POSTGRES);
      proxy = await FaultProxy.forUrl(REDIS, 6379);
      const url = database.env.DATABASE_URL as string;
      pgProxy = await FaultProxy.forUrl(url, 5432);
      const started = await Promise.allSettled([
        createTestApp({
          database: {
            env: { ...database.env, DATABASE_URL: pgProxy.rewrite(url) },
            drop: () => Promise.resolve(),
          },
          env: { REDIS_URL: proxy.rewrite(REDIS) },
        }),
        createTestApp({ database, env: { REDIS_URL: REDIS } }),
      ]);
      // One that started must not outlive a failed start of the other.
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) {
        for (const result of started) if (result.status === 'fulfilled') await result.value.close();
        throw failed.reason;
      }
      [a, b] = started.map((result) => (result as PromiseFulfilledResult<TestApp>).value);
      serverA = a.app.getHttpServer();
      serverB = b.app.getHttpServer();
      redis = new Redis(REDIS, { keyPrefix: database.env.REDIS_KEY_PREFIX });
    });
    afterAll(async () => {
      proxy?.restore();
      pgProxy?.restore();
      await Promise.all([a?.close(), b?.close()]);
      await proxy?.close();
      await pgProxy?.close();
      redis?.disconnect();
      await database?.drop();
    });

    const logout = (server: App, session: LoggedIn) =>
      request(server)
        .post('/auth/logout')
        .set('Authorization', bearer(session))
        .send({ scope: 'local' });
    const meStatus = async (server: App, session: LoggedIn) =>
      (await request(server).get('/auth/me').set('Authorization', bearer(session))).status;
    /** Whether Redis (as every instance reads it) holds the ending again, and vouches for it. */
    const published = async (session: LoggedIn) => {
      const [ended, warm] = await redis.mget(`revoked:${session.sessionId}`, 'revoked:warm');
      return ended !== null && warm !== null;
    };
    const expectRateLimitHeaders = (response: Response) => {
      expect(response.headers['x-ratelimit-limit']).toMatch(/^\d+$/);
      expect(response.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
      expect(response.headers['x-ratelimit-reset']).toMatch(/^\d+$/);
    };

    it('falls back to PostgreSQL and local counters, and re-publishes endings when Redis returns', async () => {
      const [endedBefore] = await userWithSessions(serverA, 1);
      const [endedDuring, sibling] = await userWithSessions(serverA, 2);
      const [live] = await userWithSessions(serverA, 1);
      const [limited] = await userWithSessions(serverA, 1);
      await logout(serverA, endedBefore).expect(200);
      expect(await meStatus(serverB, endedBefore)).toBe(401);

      proxy.refuse();
      const notReady = await within(READY_BOUND_MS, 'readiness naming redis', async () => {
        const response = await request(serverA).get('/health/ready');
        if (response.status !== 503) return false;
        expectUnavailable(response);
        expect(response.body.message).toBe('Not ready: redis down');
        return true;
      });
      record('redis: readiness 503 after cut', notReady);

      // Revocation: never "everything valid", never "everything invalid".
      expect(await meStatus(serverA, endedBefore)).toBe(401);
      expect(await meStatus(serverA, live)).toBe(200);
      const ended = await timed(() => logout(serverA, endedDuring).expect(200));
      record('redis down: logout', ended.ms);
      expectRateLimitHeaders(ended.value);
      expect(await meStatus(serverA, endedDuring)).toBe(401);
      expect(await meStatus(serverA, sibling)).toBe(200);
      await request(serverA)
        .post('/auth/refresh')
        .send({ refreshToken: endedDuring.refreshToken })
        .expect(401);

      // Login keeps working, still rate limited.
      const loggedIn = await timed(() =>
        request(serverA)
          .post('/auth/login')
          .send({ email: live.email, password: live.password })
          .expect(200),
      );
      record('redis down: login', loggedIn.ms);
      // Failed logins are counted in this instance meanwhile: the 11th attempt is refused.
      for (let attempt = 1; attempt <= 10; attempt++) {
        await request(serverA)
          .post('/auth/login')
          .send({ email: live.email, password: 'wrong password' })
          .expect(401);
      }
      const loginRefused = await request(serverA)
        .post('/auth/login')
        .send({ email: live.email, password: live.password });
      expectContractError(loginRefused, 429, 'rate_limited');

      // Logout limits degrade to this instance's counters: 20 pass, the 21st is refused.
      for (let attempt = 1; attempt <= 20; attempt++) {
        const response = await logout(serverA, limited);
        expect({ attempt, status: response.status }).toEqual({ attempt, status: 200 });
        expectRateLimitHeaders(response);
        expect(response.headers['x-ratelimit-limit']).toBe('20');
        expect(response.headers['x-ratelimit-remaining']).toBe(String(20 - attempt));
      }
      const refused = await logout(serverA, limited);
      expectContractError(refused, 429, 'rate_limited');
      expectRateLimitHeaders(refused);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

      // The rest of the fleet, which still reaches Redis, learns of the ending from PostgreSQL
      // within one sync interval, although the instance that recorded it cannot publish it.
      record(
        'redis: partitioned ending reaches B (sync from PostgreSQL)',
        await within(SYNC_INTERVAL_MS + 2_000, 'B refuses', async () => {
          return (await meStatus(serverB, endedDuring)) === 401;
        }),
      );
      expect(await meStatus(serverB, sibling)).toBe(200);

      // A hanging Redis (connections accepted, never answered) is no slower.
      proxy.blackhole();
      const hanging = await timed(async () => [
        await meStatus(serverA, endedDuring),
        await meStatus(serverA, live),
      ]);
      record('redis blackhole: two /auth/me', hanging.ms);
      expect(hanging.value).toEqual([401, 200]);
      expect(hanging.ms).toBeLessThan(2_000);

      proxy.restore();
      const back = await within(RECOVERY_BOUND_MS, 'readiness after restore', async () => {
        return (await request(serverA).get('/health/ready')).status === 200;
      });
      record('redis: readiness 200 after restore', back);
      // The instance that was cut off never vouches for a Redis that misses its own endings.
      expect(await meStatus(serverA, endedDuring)).toBe(401);
      // The ending recorded during the outage reaches the rest of the fleet through Redis.
      const republished = await within(RECOVERY_BOUND_MS, 'ending re-published', () =>
        published(endedDuring),
      );
      record('redis: ending re-published after restore', republished);
      expect(await meStatus(serverB, endedDuring)).toBe(401);
      expect(await meStatus(serverB, endedBefore)).toBe(401);
      expect(await meStatus(serverB, sibling)).toBe(200);
      expect(await meStatus(serverB, live)).toBe(200);
    });

    it('after an outage of the whole fleet, no instance trusts Redis before the endings it missed are back', async () => {
      // A second instance behind the same cut: both lose Redis, one of them logs a session out.
      const c = await createTestApp({
        database: {
          env: database.env,
          drop: () => Promise.resolve(),
        },
        env: { REDIS_URL: proxy.rewrite(REDIS) },
      });
      try {
        const serverC = c.app.getHttpServer() as App;
        const [ended, sibling] = await userWithSessions(serverC, 2);
        proxy.refuse();
        await logout(serverC, ended).expect(200);
        // Redis never restarted, so its "warm" marker survived the outage: a reconnected
        // instance must not take Redis' "live" for the truth until the fleet has caught up.
        proxy.restore();
        await within(RECOVERY_BOUND_MS, 'A reconnected', async () => {
          return (await request(serverA).get('/health/ready')).status === 200;
        });
        expect(await meStatus(serverA, ended)).toBe(401);
        expect(await meStatus(serverA, sibling)).toBe(200);
        expect(await meStatus(serverC, ended)).toBe(401);
      } finally {
        proxy.restore();
        await c.close();
      }
    });

    it('an ending Redis missed is never forgotten, even when PostgreSQL is down as Redis returns', async () => {
      const [ended, sibling] = await userWithSessions(serverA, 2);
      proxy.refuse();
      await logout(serverA, ended).expect(200);
      // Redis comes back while the database is away: the ending cannot be re-published yet.
      pgProxy.refuse();
      proxy.restore();
      await within(RECOVERY_BOUND_MS, 'redis back, database still down', async () => {
        const response = await request(serverA).get('/health/ready');
        return response.status === 503 && !/redis/.test(response.body.message as string);
      });
      // The instance that recorded the ending publishes it at once, without the database.
      record(
        'redis: own missed ending published on reconnect (database down)',
        await within(RECOVERY_BOUND_MS, 'ending published', () => published(ended)),
      );
      expect(await meStatus(serverB, ended)).toBe(401);
      pgProxy.restore();
      await within(RECOVERY_BOUND_MS, 'ready again', async () => {
        return (await request(serverA).get('/health/ready')).status === 200;
      });
      expect(await meStatus(serverA, ended)).toBe(401);
      expect(await meStatus(serverA, sibling)).toBe(200);
      expect(await meStatus(serverB, ended)).toBe(401);
      expect(await meStatus(serverB, sibling)).toBe(200);
    });
  });

  describe('crash in the middle of a burst', () => {
    let database: TestDatabase;
    let direct: Client;
    let child: ChildProcess | undefined;
    let output = '';

    beforeAll(async () => {
      database = await createTestDatabase(POSTGRES);
      direct = await connect(database.env.DATABASE_URL as string);
    });
    afterAll(async () => {
      await stop(child);
      await direct?.end();
      await database?.drop();
    });

    async function freePort(): Promise<number> {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }

    /** The real service, as `main.ts` runs it, in a process of its own. */
    async function startService(): Promise<{ base: string; process: ChildProcess }> {
      const port = await freePort();
      const started = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
        {
          cwd: join(__dirname, '..', '..'),
          env: {
            ...process.env,
            ...database.env,
            PORT: String(port),
            LOG_LEVEL: 'warn',
            REDIS_URL: REDIS,
            LOGOUT_RATE_LIMIT: '100000',
            SERVICE_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
            DATA_DIR: mkdtempSync(join(tmpdir(), 'auth-service-crash-')),
            TS_NODE_TRANSPILE_ONLY: 'true',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const base = `http://127.0.0.1:${port}`;
      // A bound against a start that never comes: ts-node compiles the service first, slowly
      // on a loaded machine.
      const boot = await within(90_000, `service start (${output.slice(-2_000)})`, async () => {
        if (started.exitCode !== null) throw new Error(`exited: ${output.slice(-2_000)}`);
        return (await fetch(`${base}/health/ready`)).status === 200;
      });
      record('crash: service boot', boot);
      return { base, process: started };
    }

    async function stop(running: ChildProcess | undefined): Promise<void> {
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }

    interface Answer {
      status: number | 'no answer';
      body: Record<string, unknown>;
    }

    async function call(
      base: string,
      method: string,
      path: string,
      options: { token?: string; body?: object; requestId?: string; patient?: boolean } = {},
    ): Promise<Answer> {
      try {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
          },
          body: options.body ? JSON.stringify(options.body) : undefined,
          // In the burst a request the crash swallows must end; checks afterwards wait as long
          // as the server needs (a slow machine is not a failure).
          signal: options.patient ? undefined : AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        return { status: response.status, body: text ? (JSON.parse(text) as never) : {} };
      } catch {
        return { status: 'no answer', body: {} };
      }
    }

    it('every logout answered 200 before SIGKILL is in effect after restart; no refresh token of an ended session works', async () => {
      // Seeded by an in-process instance (cheap hashing); the service process shares its key.
      const seeder = await createTestApp({ database, env: { REDIS_URL: REDIS } });
      const users = await Promise.all(
        Array.from({ length: 50 }, () => userWithSessions(seeder.app.getHttpServer(), 2)),
      );
      await seeder.close();

      const first = await startService();
      child = first.process;

      interface Sent {
        kind: 'logout' | 'refresh';
        session: LoggedIn;
        scope?: 'local' | 'global';
        requestId: string;
        answer?: Answer;
      }
      const sent: Sent[] = [];
      for (const [index, [one, two]] of users.entries()) {
        const scope = index % 2 === 0 ? 'local' : 'global';
        sent.push({
          kind: 'logout',
          session: one,
          scope,
          requestId: `crash-logout-${randomUUID()}`,
        });
        sent.push({ kind: 'refresh', session: one, requestId: `crash-refresh-${randomUUID()}` });
        sent.push({ kind: 'refresh', session: two, requestId: `crash-refresh-${randomUUID()}` });
        if (index % 3 === 0)
          sent.push({
            kind: 'logout',
            session: two,
            scope: 'local',
            requestId: `crash-logout-${randomUUID()}`,
          });
      }
      let answered = 0;
      let killedAt = -1;
      const killAfter = Math.floor(sent.length / 3);
      const crashed = new Promise((resolve) => first.process.once('exit', resolve));
      await Promise.all(
        sent.map(async (item, index) => {
          await sleep(index % 40);
          item.answer =
            item.kind === 'logout'
              ? await call(first.base, 'POST', '/auth/logout', {
                  token: item.session.accessToken,
                  body: { scope: item.scope },
                  requestId: item.requestId,
                })
              : await call(first.base, 'POST', '/auth/refresh', {
                  body: { refreshToken: item.session.refreshToken },
                  requestId: item.requestId,
                });
          if (item.answer.status !== 'no answer' && ++answered === killAfter) {
            killedAt = answered;
            first.process.kill('SIGKILL');
          }
        }),
      );
      await crashed;
      expect(killedAt).toBe(killAfter);
      const statuses = sent.map((item) => item.answer?.status);
      // The crash really cut the burst short. An overloaded pool may answer 503 (nothing done,
      // retry later), never any other server error; that a 503 committed nothing is checked below.
      expect(statuses).toContain('no answer');
      expect(
        statuses.filter((status) => typeof status === 'number' && status >= 500 && status !== 503),
      ).toEqual([]);

      const second = await startService();
      child = second.process;

      const byUser = new Map(users.map((sessions) => [sessions[0].userId, sessions]));
      /** Every refresh token handed out, by session: the seeded one and any answered in the burst. */
      const tokens = new Map<string, { refresh: string[]; access: string[] }>();
      for (const sessions of users)
        for (const session of sessions)
          tokens.set(session.sessionId, {
            refresh: [session.refreshToken],
            access: [session.accessToken],
          });
      for (const item of sent) {
        if (item.kind !== 'refresh' || item.answer?.status !== 200) continue;
        const entry = tokens.get(item.session.sessionId);
        entry?.refresh.push(item.answer.body.refreshToken as string);
        entry?.access.push(item.answer.body.accessToken as string);
      }

      const confirmed = sent.filter(
        (item) => item.kind === 'logout' && item.answer?.status === 200,
      );
      expect(confirmed.length).toBeGreaterThan(0);
      for (const item of confirmed) {
        const { rows } = await direct.query<{ count: string }>(
          `SELECT count(*) FROM audit_events
           WHERE request_id = $1 AND action = 'logout' AND outcome = 'success'`,
          [item.requestId],
        );
        expect({ requestId: item.requestId, audits: Number(rows[0].count) }).toEqual({
          requestId: item.requestId,
          audits: 1,
        });
        const covered =
          item.scope === 'global' ? (byUser.get(item.session.userId) ?? []) : [item.session];
        for (const session of covered) {
          const row = await sessionRow(direct, session.sessionId);
          expect({ session: session.sessionId, ended: row.ended_at !== null }).toEqual({
            session: session.sessionId,
            ended: true,
          });
        }
      }

      // A logout answered 503 was not acknowledged, and it must not have happened either.
      for (const item of sent) {
        if (item.kind !== 'logout' || item.answer?.status !== 503) continue;
        const { rows } = await direct.query<{ count: string }>(
          `SELECT count(*) FROM audit_events
           WHERE request_id = $1 AND action = 'logout' AND outcome = 'success'`,
          [item.requestId],
        );
        expect({ requestId: item.requestId, audits: Number(rows[0].count) }).toEqual({
          requestId: item.requestId,
          audits: 0,
        });
      }

      // Whatever ended (a confirmed logout, or one whose answer the crash swallowed), nothing of it works.
      const { rows: endedRows } = await direct.query<{ id: string }>(
        'SELECT id FROM sessions WHERE ended_at IS NOT NULL',
      );
      const endedIds = new Set(endedRows.map((row) => row.id));
      for (const item of confirmed) expect(endedIds.has(item.session.sessionId)).toBe(true);
      // Every token of an ended session that anyone was handed: refused, and inactive for
      // introspection. (Rows the burst left unrevoked are the race the test above pins down.)
      const checks: (() => Promise<void>)[] = [];
      const introspect = (token: string) =>
        fetch(`${second.base}/oauth/introspect`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token }).toString(),
        }).then(async (response) => (await response.json()) as { active: boolean });
      for (const id of endedIds) {
        const known = tokens.get(id);
        if (!known) continue;
        for (const refreshToken of known.refresh) {
          checks.push(async () =>
            expect({ id, active: (await introspect(refreshToken)).active }).toEqual({
              id,
              active: false,
            }),
          );
          checks.push(async () => {
            const answer = await call(second.base, 'POST', '/auth/refresh', {
              body: { refreshToken },
              patient: true,
            });
            expect({ id, refresh: answer.status }).toEqual({ id, refresh: 401 });
          });
        }
        for (const token of known.access) {
          checks.push(async () =>
            expect({ id, active: (await introspect(token)).active }).toEqual({ id, active: false }),
          );
          checks.push(async () => {
            const answer = await call(second.base, 'GET', '/auth/me', { token, patient: true });
            expect({ id, me: answer.status }).toEqual({ id, me: 401 });
          });
        }
      }
      expect(checks.length).toBeGreaterThan(0);
      // A bounded number in flight: the checks are about answers, not about surviving a flood.
      for (let next = 0; next < checks.length; next += 16) {
        await Promise.all(checks.slice(next, next + 16).map((check) => check()));
      }
      await expectLogoutsAtomic(direct);
    }, 180_000);
  });
});
