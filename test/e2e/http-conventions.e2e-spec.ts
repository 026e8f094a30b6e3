import { randomInt, randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import request from 'supertest';
import { IS_PUBLIC } from '../../src/common/decorators/public.decorator';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { expectContractError } from '../utils/contract-error';
import { DEFAULT_PASSWORD, registerUser, uniqueEmail } from '../factories/user.factory';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BODY_LIMIT = 100 * 1024;

/**
 * Routes that are public by design but registered outside a controller (so they cannot carry
 * `@Public()`). Anything added here must be intentional: today, the OpenAPI document and
 * Swagger UI that @nestjs/swagger mounts, and the admin console's static files (its data
 * comes from the API, with a token).
 */
const PUBLIC_WITHOUT_DECORATOR = (key: string): boolean =>
  /^GET \/docs(-json|\/.*)?$/.test(key) || /^GET \/admin(\/\*)?$/.test(key);

/** A client IP of its own, so rate-limited routes never share a bucket with other tests. */
const clientIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** A JSON body of exactly `size` bytes. */
function jsonBodyOfSize(size: number): string {
  const frame = JSON.stringify({ email: 'someone@example.test', password: '' });
  const body = frame.replace('"password":""', `"password":"${'x'.repeat(size - frame.length)}"`);
  expect(Buffer.byteLength(body)).toBe(size);
  return body;
}

interface Route {
  method: string;
  path: string;
}

const routeKey = (route: Route): string => `${route.method} ${route.path}`;

function joinPath(...parts: string[]): string {
  const joined = `/${parts.join('/')}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every controller route Nest knows, and whether `@Public()` opens it (method or class). */
function controllerRoutes(t: TestApp): Map<string, boolean> {
  const reflector = t.app.get(Reflector);
  const scanner = new MetadataScanner();
  const routes = new Map<string, boolean>();
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const isPublic =
          reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [handler, controller]) ===
          true;
        for (const prefix of prefixes) {
          for (const path of [paths].flat()) {
            routes.set(routeKey({ method, path: joinPath(prefix ?? '', path) }), isPublic);
          }
        }
      }
    }
  }
  return routes;
}

/** A concrete URL for a route pattern: parameters become UUIDs, wildcards a plain segment. */
const concretePath = (path: string): string =>
  path
    .replace(/[{}]/g, '')
    .replace(/:\w+/g, () => randomUUID())
    .replace(/\*\w*/g, 'x');

describe('HTTP conventions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'true' } });
    await t.app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await t?.close();
  });

  const server = () => t.app.getHttpServer();

  describe('X-Request-Id', () => {
    it.each([
      ['a typical id', 'req-7f3a9c'],
      ['a single visible character', '!'],
      ['128 visible ASCII characters', 'A~'.repeat(64)],
      [
        'every visible ASCII character',
        String.fromCharCode(...Array.from({ length: 94 }, (_, i) => i + 0x21)),
      ],
    ])('echoes %s', async (_case, id) => {
      const success = await request(server()).get('/auth/me').set('X-Request-Id', id);
      expect(success.headers['x-request-id']).toBe(id);
      const notFound = await request(server()).get('/no/such/route').set('X-Request-Id', id);
      expect(notFound.status).toBe(404);
      expect(notFound.headers['x-request-id']).toBe(id);
    });

    it.each([
      ['129 characters', 'a'.repeat(129)],
      ['a space', 'has space'],
      ['a tab', 'has\ttab'],
      ['a non-ASCII character', 'café'],
    ])('replaces an id with %s by a fresh UUID', async (_case, id) => {
      const response = await request(server()).get('/auth/me').set('X-Request-Id', id);
      expect(response.headers['x-request-id']).toMatch(UUID);
      expect(response.headers['x-request-id']).not.toBe(id);
    });

    it('gives every request without one a new UUID', async () => {
      const first = await request(server()).get('/auth/me');
      const second = await request(server()).post('/auth/register').send({});
      expect(first.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    });

    it('stores the id it answered with on the audit event', async () => {
      const { email } = await registerUser(t.app);
      const generated = await request(server())
        .post('/auth/login')
        .send({ email, password: 'wrong password' })
        .expect(401);
      const replaced = await request(server())
        .post('/auth/login')
        .set('X-Request-Id', 'not valid')
        .send({ email, password: DEFAULT_PASSWORD })
        .expect(200);

      for (const response of [generated, replaced]) {
        const id = response.headers['x-request-id'];
        expect(id).toMatch(UUID);
        const rows: { action: string }[] = await t.dataSource.query(
          'SELECT action FROM audit_events WHERE request_id = $1',
          [id],
        );
        expect(rows).toEqual([{ action: 'login' }]);
      }
      const invalid: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM audit_events WHERE request_id = $1',
        ['not valid'],
      );
      expect(invalid).toHaveLength(0);
    });
  });

  describe('request bodies', () => {
    it('answers 413 to a JSON body over 100 KiB', async () => {
      const response = await request(server())
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(jsonBodyOfSize(BODY_LIMIT + 1));
      expectContractError(response, 413, 'payload_too_large');
      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('reads a JSON body of exactly 100 KiB (and then validates it)', async () => {
      const response = await request(server())
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(jsonBodyOfSize(BODY_LIMIT));
      expect(expectContractError(response, 400, 'validation_failed').message).toContain('password');
    });

    it.each([
      ['truncated JSON', '{"email":"someone@example.test","password":"hunter2'],
      ['text that is not JSON', 'hunter2 is my password'],
      ['a JSON string instead of an object', '"hunter2"'],
    ])('answers 400 to %s, without echoing the body', async (_case, body) => {
      const response = await request(server())
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(body);
      expectContractError(response, 400, 'validation_failed');
      expect(response.text).not.toContain('hunter2');
    });

    it('answers 415 to a text/plain body on /auth/login', async () => {
      const response = await request(server())
        .post('/auth/login')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ email: uniqueEmail(), password: DEFAULT_PASSWORD }));
      expectContractError(response, 415, 'unsupported_media_type');
    });

    it('answers 415 to a form-encoded body on /auth/register', async () => {
      const response = await request(server())
        .post('/auth/register')
        .type('form')
        .send({ email: uniqueEmail(), password: DEFAULT_PASSWORD });
      expectContractError(response, 415, 'unsupported_media_type');
    });
  });

  describe('errors', () => {
    it.each([
      ['GET', '/no/such/route'],
      ['POST', '/auth/no-such-endpoint'],
      ['DELETE', '/auth/login'],
    ])(
      'answers an unknown route (%s %s) with a 404 in the contract shape',
      async (method, path) => {
        const response = await request(server())[method.toLowerCase() as 'get'](path);
        expectContractError(response, 404, 'not_found');
      },
    );

    it('uses exactly { statusCode, error, message, code } for every kind of error', async () => {
      const { email } = await registerUser(t.app);
      const responses = await Promise.all([
        request(server()).post('/auth/register').send({ email: 'x', password: 'short' }),
        request(server()).post('/auth/login').send({ email, password: 'wrong password' }),
        request(server()).get('/auth/me').set('Authorization', 'Bearer nope'),
        request(server()).get('/auth/nowhere'),
        request(server()).post('/auth/register').send({ email, password: DEFAULT_PASSWORD }),
        request(server()).post('/auth/login').set('Content-Type', 'application/xml').send('<a/>'),
      ]);
      expect(responses.map((response) => response.status)).toEqual([400, 401, 401, 404, 409, 415]);
      for (const response of responses) expectContractError(response, response.status);
    });
  });

  describe('deny by default', () => {
    it('serves only controller routes, each either @Public() or refused without a token', async () => {
      const declared = controllerRoutes(t);
      const served = t.routes;

      // The walk sees the routes we know of, so it is not vacuous.
      expect(declared.get('POST /auth/login')).toBe(true);
      expect(declared.get('POST /auth/register')).toBe(true);
      expect(declared.get('POST /auth/refresh')).toBe(true);
      expect(declared.get('GET /auth/me')).toBe(false);
      expect(served.map(routeKey)).toEqual(expect.arrayContaining([...declared.keys()]));

      const checked: string[] = [];
      for (const route of served) {
        const key = routeKey(route);
        if (declared.get(key) === true || PUBLIC_WITHOUT_DECORATOR(key)) continue;
        const method = route.method.toLowerCase() as 'get';
        const url = concretePath(route.path);

        const anonymous = await request(server())[method](url).set('X-Forwarded-For', clientIp());
        expect({ route: key, status: anonymous.status }).toEqual({ route: key, status: 401 });
        expectContractError(anonymous, 401, 'missing_token');
        expect(anonymous.headers['www-authenticate']).toBe('Bearer');

        const forged = await request(server())
          [method](url)
          .set('X-Forwarded-For', clientIp())
          .set('Authorization', 'Bearer not-a-token');
        expectContractError(forged, 401, 'invalid_token');
        expect(forged.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
        checked.push(key);
      }
      expect(checked).toEqual(expect.arrayContaining(['GET /auth/me', 'POST /auth/logout']));
    });
  });
});
