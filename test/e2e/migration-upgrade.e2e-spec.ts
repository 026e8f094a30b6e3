import {
  type webcrypto,
  createHash,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { hash } from 'argon2';
import { type App } from 'supertest/types';
import request from 'supertest';
import { DataSource as LegacyDataSource } from 'typeorm-0.3';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { MIGRATIONS } from '../../src/database/data-source.factory';
import { InitialSchema1764086400000 } from '../../src/database/migrations/1764086400000-initial-schema';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/** RFC 7638 thumbprint of an EC public key, as the service derives its `kid`. */
const thumbprintOf = (jwk: webcrypto.JsonWebKey) =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');

/** What a database written by the previous release holds, seeded through its own stack. */
interface Seeded {
  userId: string;
  email: string;
  password: string;
  liveSessionId: string;
  liveRefreshToken: string;
  endedSessionId: string;
  endedRefreshToken: string;
  auditEventId: string;
  kid: string;
}

/**
 * The previous release: TypeORM 0.3 running the initial migration, the schema every existing
 * installation has. Then rows of every table, as that release wrote them.
 */
async function seedWithPreviousRelease(url: string): Promise<Seeded> {
  const legacy = new LegacyDataSource({
    type: 'postgres',
    url,
    migrations: [InitialSchema1764086400000],
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    poolSize: 1,
  });
  await legacy.initialize();
  try {
    await legacy.runMigrations();
    const seeded: Seeded = {
      userId: randomUUID(),
      email: 'existing.user@example.com',
      password: 'correct horse battery staple',
      liveSessionId: randomUUID(),
      liveRefreshToken: randomBytes(32).toString('base64url'),
      endedSessionId: randomUUID(),
      endedRefreshToken: randomBytes(32).toString('base64url'),
      auditEventId: randomUUID(),
      kid: '',
    };
    const passwordHash = await hash(seeded.password, {
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 1,
    });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    seeded.kid = thumbprintOf(publicKey.export({ format: 'jwk' }));
    const sha256 = (token: string) => createHash('sha256').update(token).digest();
    await legacy.query(
      `INSERT INTO users (id, email, password_hash, roles) VALUES ($1, $2, $3, '{admin}')`,
      [seeded.userId, seeded.email, passwordHash],
    );
    await legacy.query(
      `INSERT INTO sessions (id, user_id, expires_at, ended_at, end_reason)
       VALUES ($1, $3, now() + interval '7 days', NULL, NULL),
              ($2, $3, now() + interval '7 days', now(), 'logout')`,
      [seeded.liveSessionId, seeded.endedSessionId, seeded.userId],
    );
    await legacy.query(
      `INSERT INTO refresh_tokens (session_id, token_hash, revoked_at)
       VALUES ($1, $2, NULL), ($3, $4, now())`,
      [
        seeded.liveSessionId,
        sha256(seeded.liveRefreshToken),
        seeded.endedSessionId,
        sha256(seeded.endedRefreshToken),
      ],
    );
    await legacy.query(
      `INSERT INTO audit_events (id, action, outcome, actor_user_id, subject_user_id, session_id, scope)
       VALUES ($1, 'logout', 'success', $2, $2, $3, 'local')`,
      [seeded.auditEventId, seeded.userId, seeded.endedSessionId],
    );
    await legacy.query(`INSERT INTO signing_keys (kid, private_key_pem) VALUES ($1, $2)`, [
      seeded.kid,
      privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ]);
    return seeded;
  } finally {
    await legacy.destroy();
  }
}

describe('upgrading a database written by the previous release', () => {
  let database: TestDatabase;
  let seeded: Seeded;
  let testApp: TestApp;
  let server: App;

  beforeAll(async () => {
    database = await createTestDatabase();
    const dataDir = database.env.DATA_DIR;
    if (database.env.DATABASE_URL) {
      seeded = await seedWithPreviousRelease(database.env.DATABASE_URL);
    } else if (dataDir) {
      // Embedded: the previous release wrote the same PGlite directory the service opens next.
      const embedded = await EmbeddedPostgres.start(dataDir);
      try {
        seeded = await seedWithPreviousRelease(embedded.url);
      } finally {
        await embedded.stop();
      }
    }
    // The current release starts on it and runs the migrations it does not have yet.
    testApp = await createTestApp({ database });
    server = testApp.app.getHttpServer();
  });

  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  it('records every migration once, the previous release’s first one untouched', async () => {
    const applied = await testApp.dataSource.query<{ id: number; name: string }[]>(
      'SELECT id, name FROM schema_migrations ORDER BY id',
    );
    expect(applied.map(({ name }) => name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    expect(applied[0]).toEqual({ id: 1, name: 'InitialSchema1764086400000' });
  });

  it('keeps the rows the previous release wrote', async () => {
    const [user] = await testApp.dataSource.query<{ email: string; roles: string[] }[]>(
      'SELECT email, roles FROM users WHERE id = $1',
      [seeded.userId],
    );
    expect(user).toEqual({ email: seeded.email, roles: ['admin'] });
    const sessions = await testApp.dataSource.query<{ id: string; end_reason: string | null }[]>(
      'SELECT id, end_reason FROM sessions WHERE user_id = $1 ORDER BY end_reason NULLS FIRST',
      [seeded.userId],
    );
    expect(sessions).toEqual([
      { id: seeded.liveSessionId, end_reason: null },
      { id: seeded.endedSessionId, end_reason: 'logout' },
    ]);
    const [audit] = await testApp.dataSource.query<{ action: string; scope: string }[]>(
      'SELECT action, scope FROM audit_events WHERE id = $1',
      [seeded.auditEventId],
    );
    expect(audit).toEqual({ action: 'logout', scope: 'local' });
  });

  it('signs with the stored key, so tokens issued before the upgrade still verify', async () => {
    const jwks = await request(server).get('/.well-known/jwks.json').expect(200);
    expect((jwks.body as { keys: { kid: string }[] }).keys.map(({ kid }) => kid)).toEqual([
      seeded.kid,
    ]);
  });

  it('lets the existing user log in, and continues the existing session with its refresh token', async () => {
    const login = await request(server)
      .post('/auth/login')
      .send({ email: seeded.email, password: seeded.password })
      .expect(200);
    expect(login.body).toEqual(expect.objectContaining({ accessToken: expect.any(String) }));

    const refreshed = await request(server)
      .post('/auth/refresh')
      .send({ refreshToken: seeded.liveRefreshToken })
      .expect(200);
    const accessToken = (refreshed.body as { accessToken: string }).accessToken;
    const sessions = await request(server)
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(200);
    const listed = sessions.body as { id: string; current: boolean }[];
    expect(listed.filter(({ id }) => id === seeded.liveSessionId)).toEqual([
      expect.objectContaining({ current: true }),
    ]);
    expect(listed.map(({ id }) => id)).not.toContain(seeded.endedSessionId);
  });

  it('still refuses the refresh token of a session the previous release ended', async () => {
    await request(server)
      .post('/auth/refresh')
      .send({ refreshToken: seeded.endedRefreshToken })
      .expect(401);
  });
});
