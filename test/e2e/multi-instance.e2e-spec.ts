import request from 'supertest';
import { type App } from 'supertest/types';
import { readProcessEnvironment } from '../../src/config/app-config';
import { userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/**
 * Two instances of the service behind one "load balancer": they share one PostgreSQL
 * server and one Redis, and must behave as one. Sharing needs real servers, so this suite
 * uses DATABASE_URL / REDIS_URL when set and the local servers otherwise.
 */
const environment = readProcessEnvironment();
const POSTGRES = environment.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = environment.REDIS_URL || 'redis://127.0.0.1:6379';
const SERVICE_CLIENT = { id: 'billing', secret: 'billing-secret-0123456789' };
const ENV = { REDIS_URL: REDIS, SERVICE_CLIENTS: `${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}` };

describe('two instances on one PostgreSQL and one Redis', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let serverA: App;
  let serverB: App;

  beforeAll(async () => {
    database = await createTestDatabase(POSTGRES);
    // Started together: migrations and key generation take turns on advisory locks.
    [a, b] = await Promise.all([
      createTestApp({ database, env: ENV }),
      createTestApp({ database, env: ENV }),
    ]);
    serverA = a.app.getHttpServer();
    serverB = b.app.getHttpServer();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  it('accepts on one instance the tokens issued by the other (one shared signing key)', async () => {
    const [fromA] = await userWithSessions(serverA, 1);
    await request(serverB)
      .get('/auth/me')
      .set('Authorization', `Bearer ${fromA.accessToken}`)
      .expect(200);
    const keys: unknown[] = await a.dataSource.query('SELECT kid FROM signing_keys');
    expect(keys).toHaveLength(1);
  });

  it('a logout on one instance is refused at once by the other', async () => {
    const [session, other] = await userWithSessions(serverA, 2);
    await request(serverB)
      .get('/auth/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(200);
    await request(serverA)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ scope: 'local' })
      .expect(200);
    await request(serverB)
      .get('/auth/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(401);
    await request(serverB)
      .get('/auth/me')
      .set('Authorization', `Bearer ${other.accessToken}`)
      .expect(200);
    await request(serverB)
      .post('/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(401);
  });

  it('a logout on one instance makes introspection on the other report the token inactive at once', async () => {
    const [session, other] = await userWithSessions(serverA, 2);
    const introspectOnB = async (token: string) =>
      (
        await request(serverB)
          .post('/oauth/introspect')
          .auth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret)
          .type('form')
          .send({ token })
          .expect(200)
      ).body as { active: boolean; sid?: string };
    expect(await introspectOnB(session.accessToken)).toMatchObject({
      active: true,
      sid: session.sessionId,
    });
    await request(serverA)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ scope: 'local' })
      .expect(200);
    expect(await introspectOnB(session.accessToken)).toEqual({ active: false });
    expect(await introspectOnB(session.refreshToken)).toEqual({ active: false });
    expect(await introspectOnB(other.accessToken)).toMatchObject({
      active: true,
      sid: other.sessionId,
    });
  });

  it('shares the login limits across instances: failures on either count, successes on neither', async () => {
    const [user] = await userWithSessions(serverA, 1);
    const loginOn = (server: App, password: string) =>
      request(server).post('/auth/login').send({ email: user.email, password });
    // Signing in on both never uses up anything.
    for (let attempt = 0; attempt < 12; attempt++) {
      await loginOn(attempt % 2 === 0 ? serverA : serverB, user.password).expect(200);
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      await loginOn(attempt % 2 === 0 ? serverA : serverB, 'wrong password').expect(401);
    }
    for (const server of [serverA, serverB]) {
      const refused = await loginOn(server, user.password).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('shares the per-user logout limit across instances', async () => {
    const [session] = await userWithSessions(serverA, 1);
    for (let attempt = 0; attempt < 20; attempt++) {
      const server = attempt % 2 === 0 ? serverA : serverB;
      await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .send({ scope: 'local' })
        .expect(200);
    }
    for (const server of [serverA, serverB]) {
      const refused = await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .send({ scope: 'local' })
        .expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});
