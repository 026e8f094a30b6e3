import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { type App } from 'supertest/types';
import { type QueryRunner } from 'typeorm';
import type Redis from 'ioredis';
import { LOG_DESTINATION } from '../../src/logging/logging.module';
import { REDIS } from '../../src/redis/redis.module';
import { type LoggedIn, login, registerUser, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { serverUrl } from '../utils/test-database';

/** A booted app on PGlite takes a while on a busy machine. */
const BOOT_TIMEOUT_MS = 120_000;

/** Collects everything the service logs, for reading back. */
class LogCapture extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }

  get text(): string {
    return this.chunks.join('');
  }

  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  req?: { method?: string; path?: string; ip?: string; headers?: Record<string, unknown> };
  res?: { statusCode?: number };
}

/** The value of one Prometheus sample, summed over the series whose labels include `labels`. */
function sample(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [
        key,
        value,
      ]),
    );
    if (Object.entries(labels).every(([key, value]) => seen[key] === value)) {
      total = (total ?? 0) + Number(match[3]);
    }
  }
  return total;
}

/** An address of this test run's own, so no rate-limit counter is shared with anything else. */
const uniqueIp = () => `198.51.100.${1 + (randomBytes(1)[0] % 254)}`;
const uniqueIpv6 = () =>
  `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;

async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ALLOWED_ORIGIN = 'https://app.example.test';

/**
 * One app with every operations option on (TRUST_PROXY, CORS, info-level JSON logs read
 * back through LOG_DESTINATION, a small logout limit, no refresh reuse interval): all the
 * secrets its requests carry are collected, and none may reach the log at the end.
 */
describe('Operations', () => {
  const logs = new LogCapture();
  const secrets = new Set<string>();
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        LOG_LEVEL: 'info',
        TRUST_PROXY: 'true',
        CORS_ORIGINS: ALLOWED_ORIGIN,
        LOGOUT_RATE_LIMIT: '3',
        REFRESH_TOKEN_REUSE_INTERVAL: '0s',
      },
      overrides: [{ provide: LOG_DESTINATION, useValue: logs }],
      useAppLogger: true,
    });
    server = t.app.getHttpServer();
  }, BOOT_TIMEOUT_MS);
  afterAll(() => t?.close());

  /** A fresh user with one session; its password and tokens are remembered as secrets. */
  async function signedIn(): Promise<LoggedIn> {
    const [session] = await userWithSessions(server, 1);
    remember(session);
    return session;
  }
  function remember(tokens: { accessToken?: string; refreshToken?: string; password?: string }) {
    for (const secret of [tokens.accessToken, tokens.refreshToken, tokens.password]) {
      if (secret) secrets.add(secret);
    }
  }
  const scrape = async (): Promise<string> =>
    (await request(server).get('/metrics').expect(200)).text;
  const bearer = (session: LoggedIn) => `Bearer ${session.accessToken}`;

  describe('GET /health/live and /health/ready', () => {
    it('live answers 200 without a token', async () => {
      const response = await request(server).get('/health/live').expect(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('ready answers 200 with the database up, and Redis when REDIS_URL is configured', async () => {
      const response = await request(server).get('/health/ready').expect(200);
      expect(response.body).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, redis: { status: 'up' } },
      });
      if (process.env.REDIS_URL) {
        // A real PING answered, not the placeholder of the in-process mode.
        expect(response.body.info.redis.mode).toBeUndefined();
      } else {
        expect(response.body.info.redis.mode).toBe('not configured');
      }
    });
  });

  describe('GET /metrics', () => {
    it('serves the Prometheus text format without a token', async () => {
      const response = await request(server).get('/metrics').expect(200);
      expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(response.text).toMatch(/^# HELP /m);
      expect(response.text).toContain('# TYPE http_request_duration_seconds histogram');
      expect(response.text).toContain('# TYPE auth_logouts_total counter');
      expect(sample(response.text, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(sample(response.text, 'db_pool_connections', { state: 'waiting' })).toBe(0);
    });

    it('times requests by route pattern and status, never by raw URL', async () => {
      const user = await registerUser(server);
      remember(user);
      await request(server)
        .post('/auth/login')
        .send({ email: user.email, password: 'wrong password!' })
        .expect(401);
      remember(await login(server, user));
      const session = await signedIn();
      const stranger = randomUUID();
      await request(server)
        .delete(`/auth/sessions/${stranger}`)
        .set('Authorization', bearer(session))
        .expect(404);
      await request(server).get(`/no-such-route/${stranger}`).expect(404);

      const metrics = await scrape();
      const count = (labels: Record<string, string>) =>
        sample(metrics, 'http_request_duration_seconds_count', labels);
      expect(count({ method: 'POST', route: '/auth/login', status: '200' })).toBeGreaterThanOrEqual(
        2,
      );
      expect(count({ method: 'POST', route: '/auth/login', status: '401' })).toBe(1);
      expect(count({ method: 'DELETE', route: '/auth/sessions/:id', status: '404' })).toBe(1);
      expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
      expect(metrics).not.toContain(stranger);
      expect(
        sample(metrics, 'http_request_duration_seconds_bucket', {
          route: '/auth/login',
          status: '200',
          le: '+Inf',
        }),
      ).toBe(count({ route: '/auth/login', status: '200' }));
    });

    it('counts logouts by scope and outcome', async () => {
      const before = await scrape();
      const session = await signedIn();
      await request(server)
        .post('/auth/logout')
        .set('Authorization', bearer(session))
        .send({ scope: 'local' })
        .expect(200);
      await request(server)
        .post('/auth/logout')
        .set('X-Forwarded-For', uniqueIp())
        .set('Authorization', 'Bearer not-a-token')
        .send({ scope: 'local' })
        .expect(401);
      const after = await scrape();
      const delta = (labels: Record<string, string>) =>
        (sample(after, 'auth_logouts_total', labels) ?? 0) -
        (sample(before, 'auth_logouts_total', labels) ?? 0);
      expect(delta({ scope: 'local', outcome: 'success' })).toBe(1);
      expect(delta({ scope: 'local', outcome: 'failure' })).toBe(1);
      expect(delta({ scope: 'global', outcome: 'success' })).toBe(0);
    });

    it('counts a detected refresh-token reuse', async () => {
      const before = sample(await scrape(), 'auth_refresh_token_reuse_detected_total') ?? 0;
      const session = await signedIn();
      const rotated = await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(200);
      remember(rotated.body as { accessToken: string; refreshToken: string });
      await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: session.refreshToken })
        .expect(401);
      expect(sample(await scrape(), 'auth_refresh_token_reuse_detected_total')).toBe(before + 1);
    });

    it('counts 429 refusals by bucket', async () => {
      const bucket = { bucket: 'logout' };
      const before = sample(await scrape(), 'auth_rate_limit_refusals_total', bucket) ?? 0;
      const session = await signedIn();
      for (let attempt = 0; attempt < 3; attempt++) {
        await request(server)
          .post('/auth/logout')
          .set('Authorization', bearer(session))
          .send({ scope: 'local' })
          .expect(200);
      }
      const refused = await request(server)
        .post('/auth/logout')
        .set('Authorization', bearer(session))
        .send({ scope: 'local' })
        .expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(sample(await scrape(), 'auth_rate_limit_refusals_total', bucket)).toBe(before + 1);
    });

    it('counts revocation checks answered by the store: live and ended sessions', async () => {
      const before = await scrape();
      const session = await signedIn();
      await request(server).get('/auth/me').set('Authorization', bearer(session)).expect(200);
      await request(server)
        .post('/auth/logout')
        .set('Authorization', bearer(session))
        .send({ scope: 'local' })
        .expect(200);
      await request(server).get('/auth/me').set('Authorization', bearer(session)).expect(401);
      const after = await scrape();
      const delta = (result: string) =>
        (sample(after, 'auth_revocation_checks_total', { result }) ?? 0) -
        (sample(before, 'auth_revocation_checks_total', { result }) ?? 0);
      expect(delta('hit_live')).toBeGreaterThanOrEqual(1);
      expect(delta('hit_ended')).toBeGreaterThanOrEqual(1);
      expect(delta('miss')).toBe(0);
    });
  });

  describe('security headers (helmet)', () => {
    it.each([
      ['GET', '/health/live'],
      ['POST', '/auth/login'],
      ['GET', '/no-such-route'],
    ])('hardens the %s %s response', async (method, path) => {
      const response =
        method === 'GET' ? await request(server).get(path) : await request(server).post(path);
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'x-dns-prefetch-control': 'off',
      });
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('CORS (CORS_ORIGINS set)', () => {
    it('answers a preflight from an allowed origin', async () => {
      const response = await request(server)
        .options('/auth/logout')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type,x-request-id')
        .expect(204);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(response.headers['access-control-allow-methods']).toContain('POST');
      expect(response.headers['access-control-allow-headers']?.toLowerCase()).toEqual(
        expect.stringContaining('authorization'),
      );
      expect(response.headers['access-control-max-age']).toBe('600');
      expect(response.headers.vary).toMatch(/origin/i);
    });

    it('lets an allowed origin read X-Request-Id and the rate-limit headers', async () => {
      const session = await signedIn();
      const response = await request(server)
        .post('/auth/logout')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Authorization', bearer(session))
        .send({ scope: 'local' })
        .expect(200);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      const exposed = (response.headers['access-control-expose-headers'] ?? '')
        .toLowerCase()
        .split(/\s*,\s*/);
      expect(exposed).toEqual(
        expect.arrayContaining([
          'x-request-id',
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'retry-after',
          'www-authenticate',
        ]),
      );
      expect(response.headers['x-ratelimit-remaining']).toBeDefined();
    });

    it('gives another origin no allow-origin, on the preflight or the request', async () => {
      const preflight = await request(server)
        .options('/auth/logout')
        .set('Origin', 'https://evil.example.test')
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const actual = await request(server)
        .get('/health/live')
        .set('Origin', 'https://evil.example.test')
        .expect(200);
      expect(actual.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('TRUST_PROXY=true', () => {
    it('audits the X-Forwarded-For client as the ip address', async () => {
      const user = await registerUser(server);
      const client = uniqueIpv6();
      const requestId = `trusted-proxy-${randomUUID()}`;
      const response = await request(server)
        .post('/auth/login')
        .set('X-Forwarded-For', client)
        .set('X-Request-Id', requestId)
        .send({ email: user.email, password: user.password })
        .expect(200);
      remember({ ...user, ...(response.body as { accessToken: string; refreshToken: string }) });
      const rows: { ip_address: string | null }[] = await t.dataSource.query(
        "SELECT ip_address FROM audit_events WHERE request_id = $1 AND action = 'login'",
        [requestId],
      );
      expect(rows).toEqual([{ ip_address: client }]);
      // The request log names the same client.
      await until(() => logs.text.includes(`"requestId":"${requestId}"`), 'the request line');
      const line = logs.lines
        .map((entry) => JSON.parse(entry) as LogLine)
        .find((entry) => entry.requestId === requestId && entry.res !== undefined);
      expect(line?.req?.ip).toBe(client);
    });

    it('believes only the entry the nearest proxy appended, not the addresses a client chose', async () => {
      const user = await registerUser(server);
      const client = uniqueIpv6();
      const requestId = `one-hop-${randomUUID()}`;
      await request(server)
        .post('/auth/login')
        .set('X-Forwarded-For', `203.0.113.66, ${uniqueIpv6()}, ${client}`)
        .set('X-Request-Id', requestId)
        .send({ email: user.email, password: `${user.password}-wrong` })
        .expect(401);
      const rows: { ip_address: string | null }[] = await t.dataSource.query(
        'SELECT ip_address FROM audit_events WHERE request_id = $1',
        [requestId],
      );
      expect(rows).toEqual([{ ip_address: client }]);
    });
  });

  describe('structured logs', () => {
    it('writes JSON lines with the request id, and never a token, password or Authorization header', async () => {
      const user = await registerUser(server);
      const loggedIn = await request(server)
        .post('/auth/login')
        .set('User-Agent', 'log-check')
        .send({ email: user.email, password: user.password })
        .expect(200);
      const first = loggedIn.body as { accessToken: string; refreshToken: string };
      const refreshed = await request(server)
        .post('/auth/refresh')
        .send({ refreshToken: first.refreshToken })
        .expect(200);
      const second = refreshed.body as { accessToken: string; refreshToken: string };
      remember({ ...first, password: user.password });
      remember(second);
      const me = await request(server)
        .get('/auth/me')
        .query({ access_token: second.accessToken })
        .set('Authorization', `Bearer ${second.accessToken}`)
        .expect(200);
      const logout = await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${second.accessToken}`)
        .send({ scope: 'local' })
        .expect(200);
      // Refusals that carry the secrets in their bodies: an unknown field, a reused token, a
      // wrong password.
      const failures = [
        await request(server)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${first.accessToken}`)
          .send({ scope: 'local', token: second.accessToken, refreshToken: second.refreshToken })
          .expect(400),
        await request(server)
          .post('/auth/refresh')
          .send({ refreshToken: first.refreshToken })
          .expect(401),
        await request(server)
          .post('/auth/login')
          .send({ email: user.email, password: `${user.password}!` })
          .expect(401),
      ];
      secrets.add(`${user.password}!`);
      // A body that is not JSON: the parser's own message would quote it. (Refused by the body
      // parser, before the request logger runs: it has no request line, see the report.)
      await request(server)
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(`{"email":"${user.email}","password":"${user.password}"`)
        .expect(400);

      const requests = [loggedIn, refreshed, me, logout, ...failures];
      const ids = requests.map((response) => response.headers['x-request-id']);
      await until(
        () => ids.every((id) => logs.text.includes(`"requestId":"${id}"`)),
        'a log line for every request',
      );
      const parsed = logs.lines.map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          throw new Error(`not a JSON log line: ${line.slice(0, 200)}`);
        }
      });
      for (const [index, response] of requests.entries()) {
        const lines = parsed.filter((entry) => entry.requestId === ids[index]);
        const completed = lines.filter((entry) => entry.res !== undefined);
        expect(completed).toHaveLength(1);
        expect(completed[0]).toMatchObject({
          requestId: response.headers['x-request-id'],
          req: { method: response.request.method },
          res: { statusCode: response.status },
        });
        expect(completed[0].req?.path).toBe(new URL(response.request.url).pathname);
      }
      // The lines of every request of this file: no secret anywhere, not even a part of a JWT.
      const everything = logs.text;
      expect(everything).not.toMatch(/Bearer /i);
      for (const secret of secrets) {
        expect(everything).not.toContain(secret);
        for (const part of secret.split('.').filter((piece) => piece.length >= 16)) {
          expect(everything).not.toContain(part);
        }
      }
      for (const entry of parsed) {
        const authorization = entry.req?.headers?.authorization;
        if (authorization !== undefined) expect(authorization).toBe('[redacted]');
      }
      // Probes and scrapes are not request-logged; everything else is.
      expect(parsed.some((entry) => /^\/(health|metrics)/.test(entry.req?.path ?? ''))).toBe(false);
      expect(parsed.filter((entry) => entry.res !== undefined).length).toBeGreaterThan(20);
    });
  });
});

describe('Operations with the defaults (no CORS, TRUST_PROXY=false)', () => {
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    t = await createTestApp();
    server = t.app.getHttpServer();
  }, BOOT_TIMEOUT_MS);
  afterAll(() => t?.close());

  it('sends no CORS headers at all', async () => {
    const preflight = await request(server)
      .options('/auth/logout')
      .set('Origin', ALLOWED_ORIGIN)
      .set('Access-Control-Request-Method', 'POST');
    const actual = await request(server)
      .get('/health/live')
      .set('Origin', ALLOWED_ORIGIN)
      .expect(200);
    for (const response of [preflight, actual]) {
      expect(
        Object.keys(response.headers).filter((name) => name.startsWith('access-control-')),
      ).toEqual([]);
    }
  });

  it('audits the socket address, not a forwarded one', async () => {
    const user = await registerUser(server);
    const forwarded = uniqueIp();
    const requestId = `untrusted-proxy-${randomUUID()}`;
    await request(server)
      .post('/auth/login')
      .set('X-Forwarded-For', forwarded)
      .set('X-Request-Id', requestId)
      .send({ email: user.email, password: user.password })
      .expect(200);
    const rows: { ip_address: string | null }[] = await t.dataSource.query(
      "SELECT ip_address FROM audit_events WHERE request_id = $1 AND action = 'login'",
      [requestId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].ip_address).not.toBe(forwarded);
    expect(rows[0].ip_address).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
  });

  it('answers 503 naming the database, with Retry-After and within 3 s, while the database does not answer; 200 again once it does', async () => {
    // Every pooled connection is taken, as by a database that has stopped answering: the
    // probe's query waits for a connection that never comes.
    const pool = (
      t.dataSource.driver as unknown as {
        master: { options: { max: number }; totalCount: number; idleCount: number };
      }
    ).master;
    const held: QueryRunner[] = [];
    try {
      const free = pool.options.max - pool.totalCount + pool.idleCount;
      for (let slot = 0; slot < free; slot++) {
        const runner = t.dataSource.createQueryRunner();
        await runner.connect();
        held.push(runner);
      }
      const started = Date.now();
      const response = await request(server).get('/health/ready').expect(503);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect(response.body.message).toMatch(/database/);
      expect(response.body.message).not.toMatch(/redis/);
      await request(server).get('/health/live').expect(200);
    } finally {
      await Promise.all(held.map((runner) => runner.release()));
    }
    await request(server).get('/health/ready').expect(200);
  });

  it('answers 503 naming the database, with Retry-After and within 3 s, once the database is gone', async () => {
    // Its connections are cut and new ones refused. On a PostgreSQL server: the app's own
    // throwaway database is dropped WITH (FORCE). Embedded: PGlite's socket server is stopped
    // (the DataSource owns it; closing the DataSource instead would close the app's pool
    // behind Nest's back, and its shutdown would then close PGlite a second time).
    const url = serverUrl();
    if (url) {
      const database = new URL(t.database.env.DATABASE_URL ?? '').pathname.slice(1);
      const { Client } = await import('pg');
      const admin = new Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    } else {
      const embedded = (
        t.dataSource as unknown as { embedded?: { server?: { stop(): Promise<void> } } }
      ).embedded?.server;
      if (!embedded) throw new Error('the DataSource no longer exposes its embedded server');
      await embedded.stop();
    }
    const started = Date.now();
    const response = await request(server).get('/health/ready').expect(503);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(response.body.message).toMatch(/database/);
    expect(response.body.message).not.toMatch(/redis/);
    await request(server).get('/health/live').expect(200);
  });
});

describe('Operations with Redis unreachable', () => {
  let t: TestApp;
  let server: App;

  beforeAll(async () => {
    t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    server = t.app.getHttpServer();
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => {
    // Work-around (see the report): the app's shutdown QUITs a client that never connected,
    // which leaves ioredis reconnecting forever and keeps Jest from exiting.
    t?.app.get<Redis>(REDIS).disconnect();
    await t?.close();
  });

  it('answers 503 naming redis, with Retry-After, within 3 s; live stays 200', async () => {
    const started = Date.now();
    const response = await request(server).get('/health/ready').expect(503);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(response.body.message).toMatch(/redis/);
    expect(response.body.message).not.toMatch(/database/);
    await request(server).get('/health/live').expect(200);
  });
});
