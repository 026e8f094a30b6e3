import { randomInt, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, STATUS_CODES } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import { OAUTH_ERROR_CODES } from '../../src/common/errors/error-code';
import { type LoggedIn } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';

/**
 * Property-based hostile input at every route of the contract: generated JSON bodies (with
 * prototype-polluting keys), header values, JWT-looking tokens, query strings and path ids.
 * Whatever arrives, the service never answers 5xx, refuses in the contract's error shape,
 * and a refused request changes nothing in the database but its own failure audit row.
 */
const RUNS_PER_ROUTE = 10;

const ADMIN = { email: 'hostile-admin@example.test', password: 'hostile admin password 1' };
const CLIENT = { id: 'fuzz', secret: 'fuzz-secret-0123456789' };

type Auth = 'user' | 'admin' | 'client' | 'none';
interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  auth: Auth;
}

/** Every route of the contract (checked against the router below, so none is forgotten). */
const ROUTES: readonly RouteSpec[] = [
  { method: 'post', path: '/auth/register', auth: 'none' },
  { method: 'post', path: '/auth/login', auth: 'none' },
  { method: 'post', path: '/auth/refresh', auth: 'none' },
  { method: 'post', path: '/auth/logout', auth: 'user' },
  { method: 'post', path: '/auth/reauthenticate', auth: 'user' },
  { method: 'post', path: '/auth/password', auth: 'user' },
  { method: 'get', path: '/auth/me', auth: 'user' },
  { method: 'get', path: '/auth/sessions', auth: 'user' },
  { method: 'delete', path: '/auth/sessions/:id', auth: 'user' },
  { method: 'post', path: '/admin/users/:userId/logout', auth: 'admin' },
  { method: 'get', path: '/admin/users/:userId/sessions', auth: 'admin' },
  { method: 'get', path: '/admin/audit-events', auth: 'admin' },
  { method: 'get', path: '/admin/audit-events/export', auth: 'admin' },
  { method: 'get', path: '/admin/stats', auth: 'admin' },
  { method: 'get', path: '/admin/users', auth: 'admin' },
  { method: 'get', path: '/admin/users/:userId', auth: 'admin' },
  { method: 'post', path: '/admin/users/:userId/suspend', auth: 'admin' },
  { method: 'post', path: '/admin/users/:userId/reactivate', auth: 'admin' },
  { method: 'post', path: '/admin/sessions/revoke-all', auth: 'admin' },
  { method: 'delete', path: '/admin/sessions/:sessionId', auth: 'admin' },
  { method: 'post', path: '/oauth/introspect', auth: 'client' },
  { method: 'post', path: '/oauth/revoke', auth: 'client' },
  { method: 'post', path: '/oauth/token', auth: 'client' },
  { method: 'get', path: '/.well-known/ssf-configuration', auth: 'none' },
  { method: 'post', path: '/ssf/streams', auth: 'client' },
  { method: 'get', path: '/ssf/streams', auth: 'client' },
  { method: 'patch', path: '/ssf/streams', auth: 'client' },
  { method: 'put', path: '/ssf/streams', auth: 'client' },
  { method: 'delete', path: '/ssf/streams', auth: 'client' },
  { method: 'get', path: '/ssf/streams/status', auth: 'client' },
  { method: 'post', path: '/ssf/streams/status', auth: 'client' },
  { method: 'post', path: '/ssf/streams/verify', auth: 'client' },
  { method: 'post', path: '/ssf/poll/:streamId', auth: 'client' },
  { method: 'get', path: '/.well-known/jwks.json', auth: 'none' },
  { method: 'get', path: '/.well-known/openid-configuration', auth: 'none' },
  { method: 'get', path: '/health/live', auth: 'none' },
  { method: 'get', path: '/health/ready', auth: 'none' },
  { method: 'get', path: '/metrics', auth: 'none' },
];
const routeName = (route: RouteSpec) => `${route.method.toUpperCase()} ${route.path}`;
const isForm = (route: RouteSpec) => route.path.startsWith('/oauth/');

/** A client IP of its own per request, so per-IP limits never stop the exploration. */
const clientIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Characters Node's HTTP client lets through in a header value. */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0x80, max: 0xff }),
  fc.constant(0x09),
);
const headerValue = (maxLength = 200) =>
  fc
    .array(headerChar, { maxLength })
    .map((codes) => String.fromCharCode(...codes))
    .filter((value) => value.trim().length > 0);

const dangerousKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'email',
  'password',
  'scope',
  'refreshToken',
  'token',
  'token_type_hint',
  'reason',
  'currentPassword',
  'newPassword',
);
const anyKey = fc.oneof(dangerousKey, fc.string({ maxLength: 12 }));
const plausibleValue = fc.oneof(
  fc.constantFrom('global', 'local', 'others', 'admin', 'a@b.test', 'correct horse battery'),
  fc.jsonValue({ maxDepth: 3 }),
);

/**
 * A JSON object as text, built by hand: keys such as `__proto__` stay own keys on the wire
 * (an object literal would turn them into a prototype), and a key may appear twice.
 */
const jsonObjectText = fc
  .array(fc.tuple(anyKey, plausibleValue), { maxLength: 6 })
  .map(
    (entries) =>
      `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`,
  );
const jsonBodyText = fc.oneof(
  { weight: 3, arbitrary: jsonObjectText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);
const formBodyText = fc
  .array(
    fc.tuple(
      anyKey,
      fc.oneof(
        fc.string({ maxLength: 40 }),
        plausibleValue.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))),
      ),
    ),
    {
      maxLength: 6,
    },
  )
  .map((entries) =>
    entries
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
      .join('&'),
  );

const base64urlJson = (value: fc.Arbitrary<unknown>) =>
  value.map((json) => Buffer.from(JSON.stringify(json) ?? 'null').toString('base64url'));

/** Three base64url parts that look like a JWT: plausible headers and claims, a random signature. */
const jwtLike = (kid: () => string) =>
  fc
    .tuple(
      base64urlJson(
        fc.record(
          {
            alg: fc.constantFrom('none', 'HS256', 'ES256', 'RS256', 'ES512', 'PS256', ''),
            typ: fc.constantFrom('JWT', 'at+jwt', ''),
            kid: fc.oneof(fc.constant(kid()), fc.string({ maxLength: 20 })),
          },
          { requiredKeys: ['alg'] },
        ),
      ),
      base64urlJson(
        fc.record(
          {
            sub: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }), fc.integer()),
            sid: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }), fc.constant(null)),
            roles: fc.oneof(fc.constant(['admin']), fc.array(fc.string({ maxLength: 8 }))),
            exp: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800 }), fc.string()),
            iat: fc.integer({ min: 0, max: 4_102_444_800 }),
            auth_time: fc.integer({ min: 0, max: 4_102_444_800 }),
            iss: fc.constantFrom('auth-service', 'evil', ''),
            aud: fc.constantFrom('auth-service', 'evil', ''),
            jti: fc.uuid(),
          },
          { requiredKeys: [] },
        ),
      ),
      fc.uint8Array({ maxLength: 72 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
    )
    .map((parts) => parts.join('.'));

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`, 'latin1').toString('base64')}`;

const authorizationHeader = (kid: () => string) =>
  fc.oneof(
    headerValue(),
    headerValue().map((value) => `Bearer ${value}`),
    jwtLike(kid).map((token) => `Bearer ${token}`),
    jwtLike(kid).map((token) => `bearer  ${token}`),
    fc.constant('Bearer'),
    fc.constant('Bearer '),
    fc.tuple(headerValue(40), headerValue(40)).map(([id, secret]) => basic(id, secret)),
    fc.constant(basic(CLIENT.id, 'wrong-secret-0123456789')),
    headerValue().map((value) => `Basic ${value}`),
  );

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/json, text/html',
  ),
  headerValue(60),
);

const percentJunk = fc.constantFrom(
  '%',
  '%E0%A4%A',
  '%00',
  '%ZZ',
  '%C0%AF',
  '..',
  '%2e%2e',
  '%2F',
  '%252F',
  '%u0041',
);
const pathId = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ minLength: 200, maxLength: 2_000 }).map(encodeURIComponent),
  percentJunk,
  fc.tuple(fc.uuid(), percentJunk).map(([id, junk]) => `${id}${junk}`),
);

const queryKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'userId',
    'action',
    'from',
    'to',
    'limit',
    'cursor',
    'a[b]',
    'limit[]',
    '__proto__[admin]',
  ),
  fc.string({ maxLength: 10 }),
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('-1', '0', '1', '200', '201', '1e3', '9'.repeat(40), 'NaN', 'null', 'true'),
  fc.constantFrom('2026-02-30', '2026-11-24T18:40:00.000Z', '+275760-09-13T00:00:00.000Z'),
  fc.uuid(),
);
const queryString = fc
  .array(fc.tuple(queryKey, queryValue, fc.oneof(fc.constant(''), percentJunk), fc.boolean()), {
    maxLength: 6,
  })
  .map((entries) =>
    entries
      .map(([key, value, junk, encodeKey]) => {
        const name = encodeKey ? encodeURIComponent(key) : key.replace(/[^\w[\]]/g, '_');
        return `${name}=${encodeURIComponent(value)}${junk}`;
      })
      .join('&'),
  );

// ---------------------------------------------------------------------------------------------

describe('hostile input', () => {
  let t: TestApp;
  let port: number;
  let user: LoggedIn;
  let adminToken: string;
  let kid: string;

  const server = () => t.app.getHttpServer();

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TRUST_PROXY: 'true',
        BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        SERVICE_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
        LOGOUT_RATE_LIMIT: '100000',
      },
    });
    await t.app.listen(0, '127.0.0.1');
    port = (server().address() as AddressInfo).port;
    user = await freshUser();
    adminToken = await adminLogin();
    kid = JSON.parse(Buffer.from(user.accessToken.split('.')[0], 'base64url').toString()).kid;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function adminLogin(): Promise<string> {
    const admin = await request(server())
      .post('/auth/login')
      .set('X-Forwarded-For', clientIp())
      .send(ADMIN)
      .expect(200);
    return admin.body.accessToken as string;
  }

  /** A user of its own with one live session (logins from an IP of their own). */
  async function freshUser(): Promise<LoggedIn> {
    const email = `hostile-${randomUUID()}@example.test`;
    const password = 'correct horse battery';
    const registered = await request(server())
      .post('/auth/register')
      .send({ email, password })
      .expect(201);
    const login = await request(server())
      .post('/auth/login')
      .set('X-Forwarded-For', clientIp())
      .send({ email, password })
      .expect(200);
    return {
      userId: registered.body.id,
      email,
      password,
      sessionId: login.body.sessionId,
      accessToken: login.body.accessToken,
      refreshToken: login.body.refreshToken,
    };
  }

  /** The normal user keeps a live session, within its limits, whatever the last run did to it. */
  async function keepUserUsable(last: Response): Promise<void> {
    const me = await request(server())
      .get('/auth/me')
      .set('Authorization', `Bearer ${user.accessToken}`);
    if (me.status !== 200 || last.status === 429) user = await freshUser();
    // A generated body can be a valid emergency brake, which ends the admin's session too.
    const stats = await request(server())
      .get('/admin/stats')
      .set('Authorization', `Bearer ${adminToken}`);
    if (stats.status === 401) adminToken = await adminLogin();
  }

  function credentials(route: RouteSpec): Record<string, string> {
    switch (route.auth) {
      case 'user':
        return { Authorization: `Bearer ${user.accessToken}` };
      case 'admin':
        return { Authorization: `Bearer ${adminToken}` };
      case 'client':
        return { Authorization: basic(CLIENT.id, CLIENT.secret) };
      case 'none':
        return {};
    }
  }

  /** Everything but the failure audit rows a refusal may add. */
  async function fingerprint(): Promise<Record<string, string>> {
    const table = (name: string) =>
      `(SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '')
        FROM ${name} x)`;
    const [row]: Record<string, string>[] = await t.dataSource.query(
      `SELECT ${table('users')} AS users, ${table('sessions')} AS sessions,
              ${table('refresh_tokens')} AS refresh_tokens, ${table('signing_keys')} AS signing_keys,
              (SELECT count(*)::text FROM audit_events WHERE outcome <> 'failure') AS audit_successes`,
    );
    return row;
  }

  function concrete(route: RouteSpec, id: () => string = randomUUID): string {
    return route.path.replace(/:\w+/g, () => id());
  }

  /** Never 5xx; a refusal in the contract's shape (RFC 6749 `error` on /oauth). */
  function expectContractAnswer(response: Response, route: string): void {
    expect({ route, status: response.status, server: response.status >= 500 }).toEqual({
      route,
      status: response.status,
      server: false,
    });
    expect(response.headers['x-request-id']).toBeDefined();
    if (response.status < 400) return;
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.body as Record<string, unknown>;
    expect(body.statusCode).toBe(response.status);
    expect(typeof body.message).toBe('string');
    expect(body.code).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(response.text).not.toMatch(/\bstack\b|\n\s+at |node_modules|\.ts:\d+|SELECT |INSERT /i);
    if (route.includes(' /oauth/')) {
      expect(Object.keys(body).sort()).toEqual([
        'code',
        'error',
        'error_description',
        'message',
        'statusCode',
      ]);
      expect(body.error).toMatch(/^[a-z_]+$/);
      if (OAUTH_ERROR_CODES.has(body.code as string)) expect(body.error).toBe(body.code);
    } else {
      expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
      expect(body.error).toBe(STATUS_CODES[response.status]);
    }
    // RFC 6750 on bearer routes; RFC 6749 client authentication (Basic) on /oauth.
    if (response.status === 401)
      expect(response.headers['www-authenticate']).toMatch(
        route.includes(' /oauth/') ? /^Basic / : /^Bearer/,
      );
  }

  /** Sends one hostile request and checks the answer and, for a refusal, the database. */
  async function probe(
    route: RouteSpec,
    build: (call: request.Test) => request.Test,
    url = concrete(route),
  ): Promise<Response> {
    const before = await fingerprint();
    const response = await build(
      request(server())[route.method](url).set('X-Forwarded-For', clientIp()),
    );
    expectContractAnswer(response, routeName(route));
    if (response.status >= 400) expect(await fingerprint()).toEqual(before);
    await keepUserUsable(response);
    return response;
  }

  it('covers every route the application serves', () => {
    const served = t.routes.map((route) => `${route.method} ${route.path}`);
    const known = ROUTES.map(routeName);
    // Swagger's document and UI, and the admin console's static files, serve no contract route.
    const unlisted = served.filter(
      (key) => !known.includes(key) && !/ \/docs/.test(key) && !/^GET \/admin(\/\*)?$/.test(key),
    );
    expect(unlisted).toEqual([]);
    expect(served).toEqual(expect.arrayContaining(known));
  });

  describe('generated bodies', () => {
    it.each(ROUTES.map((route) => [routeName(route), route] as const))(
      '%s',
      async (_name, route) => {
        await fc.assert(
          fc.asyncProperty(isForm(route) ? formBodyText : jsonBodyText, async (body) => {
            await probe(route, (call) =>
              call
                .set(credentials(route))
                .set(
                  'Content-Type',
                  isForm(route) ? 'application/x-www-form-urlencoded' : 'application/json',
                )
                .send(body),
            );
          }),
          { numRuns: RUNS_PER_ROUTE },
        );
      },
    );
  });

  describe('generated headers (X-Request-Id, Authorization, Content-Type)', () => {
    it.each(ROUTES.map((route) => [routeName(route), route] as const))(
      '%s',
      async (_name, route) => {
        await fc.assert(
          fc.asyncProperty(
            headerValue(160),
            authorizationHeader(() => kid),
            contentType,
            isForm(route) ? formBodyText : jsonBodyText,
            async (requestId, authorization, type, body) => {
              const response = await probe(route, (call) =>
                call
                  .set('X-Request-Id', requestId)
                  .set('Authorization', authorization)
                  .set('Content-Type', type)
                  .send(body),
              );
              // Echoed when it is 1 to 128 visible ASCII characters, a fresh UUID otherwise.
              const seen = requestId.replace(/^[\t ]+|[\t ]+$/g, '');
              if (/^[\x21-\x7e]{1,128}$/.test(seen))
                expect(response.headers['x-request-id']).toBe(seen);
              else expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
              // No generated credential ever opens a protected route.
              if (route.auth === 'user' || route.auth === 'admin')
                expect([400, 401, 415, 429]).toContain(response.status);
              if (route.auth === 'client' && !authorization.startsWith('Bearer'))
                expect(response.status).toBeGreaterThanOrEqual(400);
            },
          ),
          { numRuns: RUNS_PER_ROUTE },
        );
      },
    );
  });

  describe('generated query strings and path ids', () => {
    it.each(ROUTES.map((route) => [routeName(route), route] as const))(
      '%s',
      async (_name, route) => {
        await fc.assert(
          fc.asyncProperty(pathId, queryString, async (id, query) => {
            const url = `${concrete(route, () => id)}${query ? `?${query}` : ''}`;
            await probe(route, (call) => call.set(credentials(route)), url);
          }),
          { numRuns: RUNS_PER_ROUTE },
        );
      },
    );
  });

  // -------------------------------------------------------------------------------------------

  interface RawAnswer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
    ms: number;
  }

  /** A request with exactly these bytes as its body (supertest would re-encode a Buffer). */
  function raw(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<RawAnswer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const call = httpRequest(
        { host: '127.0.0.1', port, method, path, headers, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              text: Buffer.concat(chunks).toString(),
              ms: performance.now() - started,
            }),
          );
        },
      );
      call.on('error', reject);
      call.setTimeout(10_000, () => call.destroy(new Error('no answer within 10 s')));
      call.end(body);
    });
  }

  function expectRawContractError(answer: RawAnswer, status: number): Record<string, unknown> {
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
    expect(body.statusCode).toBe(status);
    expect(answer.text).not.toMatch(/\bstack\b|\n\s+at |node_modules/);
    return body;
  }

  describe('explicit attacks', () => {
    it('oversized headers get a clean 431 and a closed connection, not a hang', async () => {
      const started = performance.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        // Node 24+ resets the connection after answering (the unread request is discarded):
        // closed either way, and what was answered is in `received`.
        socket.on('error', (error: NodeJS.ErrnoException) =>
          error.code === 'ECONNRESET' ? resolve(received) : reject(error),
        );
        socket.setTimeout(5_000, () => socket.destroy(new Error('hung')));
        socket.write(
          `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        );
      });
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(performance.now() - started).toBeLessThan(2_000);
      await request(server()).get('/health/live').expect(200);
    });

    it.each([
      ['with a Content-Length', false],
      ['chunked, without a Content-Length', true],
    ])('a body over 100 KiB (%s) is 413', async (_name, chunked) => {
      const body = Buffer.from(
        JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(100 * 1024) }),
      );
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = String(body.length);
      const answer = await raw('POST', '/auth/login', headers, body);
      expect(expectRawContractError(answer, 413).code).toBe('payload_too_large');
    });

    it('a compressed body that inflates past 100 KiB is 413 (no decompression bomb)', async () => {
      const body = gzipSync(
        Buffer.from(JSON.stringify({ email: 'a@b.test', password: '0'.repeat(10 * 1024 * 1024) })),
      );
      expect(body.length).toBeLessThan(100 * 1024);
      const answer = await raw(
        'POST',
        '/auth/login',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body,
      );
      expect(expectRawContractError(answer, 413).code).toBe('payload_too_large');
    });

    it.each([
      ['arrays', (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`],
      ['objects', (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`],
    ])('JSON nested 10,000 levels deep (%s) is 400, quickly, everywhere', async (_name, nest) => {
      const before = await fingerprint();
      for (const [path, token] of [
        ['/auth/login', undefined],
        ['/auth/register', undefined],
        ['/auth/logout', user.accessToken],
        ['/admin/users/00000000-0000-4000-8000-000000000000/logout', adminToken],
      ] as const) {
        for (const body of [`{"email":${nest(10_000)}}`, `{"x":${nest(10_000)}}`, nest(5_000)]) {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (token) headers.authorization = `Bearer ${token}`;
          const answer = await raw('POST', path, headers, Buffer.from(body));
          expect({ path, status: answer.status }).toEqual({ path, status: 400 });
          expectRawContractError(answer, 400);
          expect(answer.ms).toBeLessThan(1_000);
        }
      }
      expect(await fingerprint()).toEqual(before);
      await request(server()).get('/health/live').expect(200);
    });

    it('invalid UTF-8 in a JSON body is 400 and creates nothing', async () => {
      const before = await fingerprint();
      const email = `utf8-${randomUUID()}@example.test`;
      for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80]]) {
        const body = Buffer.concat([
          Buffer.from(`{"email":"${email}","password":"pass`),
          Buffer.from(bad),
          Buffer.from('word-1234"}'),
        ]);
        const answer = await raw(
          'POST',
          '/auth/register',
          { 'content-type': 'application/json' },
          body,
        );
        expect(expectRawContractError(answer, 400).code).toBe('validation_failed');
      }
      expect(await fingerprint()).toEqual(before);
      // The same bytes, valid, are accepted: it is the encoding that was refused.
      await request(server())
        .post('/auth/register')
        .send({ email, password: 'pass\u00e9word-1234' })
        .expect(201);
    });

    it('duplicate JSON keys are handled (the last one wins), never 5xx', async () => {
      const target = await freshUser();
      const text = `{"email":"nobody@example.test","email":${JSON.stringify(target.email)},"password":"wrong","password":${JSON.stringify(target.password)}}`;
      const answer = await raw(
        'POST',
        '/auth/login',
        { 'content-type': 'application/json', 'x-forwarded-for': clientIp() },
        Buffer.from(text),
      );
      expect(answer.status).toBe(200);
      const scoped = await raw(
        'POST',
        '/auth/logout',
        { 'content-type': 'application/json', authorization: `Bearer ${target.accessToken}` },
        Buffer.from('{"scope":"global","scope":"nonsense"}'),
      );
      expectRawContractError(scoped, 400);
      await request(server())
        .get('/auth/me')
        .set('Authorization', `Bearer ${target.accessToken}`)
        .expect(200);
    });

    it.each([
      ['__proto__', '{"__proto__":{"admin":true,"roles":["admin"]}}'],
      ['constructor.prototype', '{"constructor":{"prototype":{"roles":["admin"]}}}'],
      ['nested __proto__', '{"scope":"local","x":{"__proto__":{"admin":true}}}'],
    ])('prototype pollution (%s) is 400 everywhere and grants nothing', async (_name, payload) => {
      const victim = await freshUser();
      const before = await fingerprint();
      for (const [path, token] of [
        ['/auth/login', undefined],
        ['/auth/register', undefined],
        ['/auth/refresh', undefined],
        ['/auth/logout', victim.accessToken],
        ['/auth/reauthenticate', victim.accessToken],
        ['/auth/password', victim.accessToken],
        ['/admin/users/00000000-0000-4000-8000-000000000000/logout', adminToken],
      ] as const) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (token) headers.authorization = `Bearer ${token}`;
        const answer = await raw('POST', path, headers, Buffer.from(payload));
        expect({ path, status: answer.status }).toEqual({ path, status: 400 });
        expectRawContractError(answer, 400);
      }
      const polluted = await raw(
        'POST',
        '/auth/login',
        { 'content-type': 'application/json', 'x-forwarded-for': clientIp() },
        Buffer.from(
          `{"email":${JSON.stringify(victim.email)},"password":${JSON.stringify(victim.password)},"__proto__":{"roles":["admin"]}}`,
        ),
      );
      expectRawContractError(polluted, 400);
      for (const query of [
        '__proto__[admin]=true',
        '__proto__=x',
        'constructor[prototype][admin]=1',
      ])
        expect(
          (
            await request(server())
              .get(`/admin/audit-events?${query}`)
              .set('Authorization', `Bearer ${adminToken}`)
          ).status,
        ).toBe(400);
      expect(await fingerprint()).toEqual(before);
      // Nothing leaked into the server's objects: a normal user is still no admin, and still logged in.
      const forbidden = await request(server())
        .get('/admin/audit-events')
        .set('Authorization', `Bearer ${victim.accessToken}`);
      expect(forbidden.status).toBe(403);
      const me = await request(server())
        .get('/auth/me')
        .set('Authorization', `Bearer ${victim.accessToken}`)
        .expect(200);
      expect(me.body.roles).toEqual([]);
    });

    it('300 concurrent connections from one client are answered cleanly, and the server keeps answering', async () => {
      const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
      const target = await freshUser();
      const calls = Array.from({ length: 300 }, (_, index) => {
        const kind = index % 3;
        const options =
          kind === 0
            ? { method: 'GET', path: '/auth/me', body: undefined }
            : kind === 1
              ? {
                  method: 'POST',
                  path: '/auth/login',
                  body: JSON.stringify({ email: target.email, password: 'wrong password' }),
                }
              : { method: 'GET', path: '/health/live', body: undefined };
        return new Promise<number>((resolve, reject) => {
          const call = httpRequest(
            {
              host: '127.0.0.1',
              port,
              agent,
              method: options.method,
              path: options.path,
              headers: {
                authorization: `Bearer ${target.accessToken}`,
                'content-type': 'application/json',
              },
            },
            (response) => {
              response.resume();
              response.on('end', () => resolve(response.statusCode ?? 0));
            },
          );
          call.on('error', reject);
          call.setTimeout(15_000, () => call.destroy(new Error('no answer within 15 s')));
          call.end(options.body);
        });
      });
      const statuses = await Promise.all(calls);
      agent.destroy();
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      const counts = statuses.reduce<Record<number, number>>(
        (all, status) => ({ ...all, [status]: (all[status] ?? 0) + 1 }),
        {},
      );
      expect(Object.keys(counts).map(Number).sort()).toEqual(
        expect.arrayContaining([200, 401, 429]),
      );
      await request(server()).get('/health/live').expect(200);
      await request(server())
        .get('/auth/me')
        .set('Authorization', `Bearer ${target.accessToken}`)
        .expect(200);
    });
  });
});
