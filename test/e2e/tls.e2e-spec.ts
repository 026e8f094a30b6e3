import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import request from 'supertest';
import { type App } from 'supertest/types';
import { isDependencyUnavailable } from '../../src/common/errors/dependency-failure';
import { createTestApp } from '../utils/create-test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import {
  type Certificates,
  createCertificates,
  type RunningServer,
  startTlsPostgres,
  startTlsRedis,
} from '../utils/tls-servers';

/** The Node error codes a certificate that does not chain to the trusted CA produces. */
const UNTRUSTED_CERTIFICATE = ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'];

function codesIn(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    current = cause;
  }
  return codes;
}

function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(
    Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'),
  ) as { sid: string };
  return payload.sid;
}

describe('TLS to PostgreSQL (sslmode in DATABASE_URL) and to Redis (rediss://)', () => {
  let dir: string;
  let certificates: Certificates;
  let redis: RunningServer | undefined;
  let postgres: RunningServer | undefined;
  let database: TestDatabase;

  /** The throwaway cluster accepts TLS only (hostssl), verified against `ca`. */
  const databaseUrl = (ca: string) =>
    `postgres://postgres@127.0.0.1:${postgres?.port}/postgres?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;
  const redisUrl = () => `rediss://127.0.0.1:${redis?.port}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-service-tls-'));
    certificates = createCertificates(dir);
    [redis, postgres] = await Promise.all([
      startTlsRedis(certificates),
      startTlsPostgres(certificates),
    ]);
    database = await createTestDatabase(databaseUrl(certificates.caFile));
  }, 120_000);

  afterAll(async () => {
    await database?.drop();
    await Promise.all([redis?.stop(), postgres?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves with both connections encrypted and verified: ready, login, a logout published to Redis', async () => {
    const testApp = await createTestApp({
      database,
      env: { REDIS_URL: redisUrl(), REDIS_TLS_CA_FILE: certificates.caFile },
    });
    const reader = new Redis(redisUrl(), {
      tls: { ca: readFileSync(certificates.caFile) },
      keyPrefix: database.env.REDIS_KEY_PREFIX,
      lazyConnect: true,
    });
    try {
      const server = testApp.app.getHttpServer() as App;
      await request(server).get('/health/ready').expect(200);
      const [connection] = await testApp.dataSource.query<{ ssl: boolean }[]>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(connection).toEqual({ ssl: true });

      const credentials = { email: 'tls.user@example.com', password: 'a long enough password' };
      await request(server).post('/auth/register').send(credentials).expect(201);
      const login = await request(server).post('/auth/login').send(credentials).expect(200);
      const accessToken = (login.body as { accessToken: string }).accessToken;
      await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ scope: 'local' })
        .expect(200);
      await request(server)
        .get('/auth/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .expect(401);
      expect(await reader.exists(`revoked:${sessionIdOf(accessToken)}`)).toBe(1);
    } finally {
      reader.disconnect();
      await testApp.close();
    }
  });

  it('reports Redis not ready when its certificate does not chain to REDIS_TLS_CA_FILE', async () => {
    const testApp = await createTestApp({
      database,
      env: { REDIS_URL: redisUrl(), REDIS_TLS_CA_FILE: certificates.otherCaFile },
    });
    try {
      const ready = await request(testApp.app.getHttpServer()).get('/health/ready');
      expect(ready.status).toBe(503);
      expect((ready.body as { message: string }).message).toMatch(/redis/);
      expect((ready.body as { message: string }).message).not.toMatch(/database/);
    } finally {
      await testApp.close();
    }
  });

  it('refuses to start on a PostgreSQL whose certificate does not chain to sslrootcert', async () => {
    const untrusted: TestDatabase = {
      ...database,
      env: { ...database.env, DATABASE_URL: databaseUrl(certificates.otherCaFile) },
      drop: () => Promise.resolve(),
    };
    const failure: unknown = await createTestApp({ database: untrusted }).then(
      async (started) => {
        await started.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(isDependencyUnavailable(failure)).toBe(true);
    expect(codesIn(failure).some((code) => UNTRUSTED_CERTIFICATE.includes(code))).toBe(true);
  });
});
