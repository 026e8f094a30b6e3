/**
 * `npm run bench:logout-scale`: one user's global logout at 1k, 10k and 100k live sessions
 * (each with a refresh token), through the real `SessionRepository.endSessions` statement
 * (sessions, refresh tokens, audit row and security-event outbox in one statement), on a
 * fresh PostgreSQL database that is dropped at the end. Prints the time per size and the
 * statement's `EXPLAIN (ANALYZE, BUFFERS)` at the largest size, so a plan that stops being
 * linear shows.
 *
 * Environment: BENCH_PG_URL (postgres://postgres@127.0.0.1:5432), BENCH_SCALE_SIZES ("1000,10000,100000").
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { type DataSource, type EntityManager } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { createDataSource, runMigrations } from '../src/database/data-source.factory';
import { SessionRepository } from '../src/auth/repositories/session.repository';
import { printTable } from './stats';

const pgUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const sizes = (process.env.BENCH_SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number);

async function seedUser(db: Client, sessions: number): Promise<string> {
  const {
    rows: [{ id }],
  } = await db.query<{ id: string }>(
    `INSERT INTO users (email, password_hash, roles) VALUES ($1, 'x', '{}') RETURNING id`,
    [`scale-${randomUUID()}@bench.test`],
  );
  await db.query(
    `WITH s AS (
       INSERT INTO sessions (user_id, created_at, last_active_at, auth_time, expires_at)
       SELECT $1, now(), now(), now(), now() + interval '30 days' FROM generate_series(1, $2)
       RETURNING id
     )
     INSERT INTO refresh_tokens (session_id, token_hash, created_at)
     SELECT id, sha256(convert_to(id::text, 'UTF8')), now() FROM s`,
    [id, sessions],
  );
  await db.query('ANALYZE sessions; ANALYZE refresh_tokens');
  return id;
}

function command(userId: string) {
  const at = new Date();
  return {
    userId,
    selection: 'all' as const,
    reason: 'admin_logout' as const,
    at,
    audit: {
      occurredAt: at,
      action: 'admin_logout' as const,
      outcome: 'success' as const,
      actorUserId: null,
      subjectUserId: userId,
      sessionId: null,
      scope: 'global',
      reason: 'bench',
      ipAddress: null,
      userAgent: null,
      requestId: null,
    },
  };
}

async function main(): Promise<void> {
  const dbName = `bench_scale_${Date.now()}`;
  const admin = new Client({ connectionString: `${pgUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  let dataSource: DataSource | undefined;
  // Seeding runs without the service's statement timeout.
  const seeder = new Client({ connectionString: `${pgUrl}/${dbName}` });
  seeder.on('error', () => undefined);
  try {
    await seeder.connect();
    dataSource = await createDataSource(loadConfig({ DATABASE_URL: `${pgUrl}/${dbName}` }));
    await dataSource.initialize();
    await runMigrations(dataSource);
    const repository = new SessionRepository(dataSource);
    const rows: string[][] = [];
    for (const size of sizes) {
      const userId = await seedUser(seeder, size);
      // A bystander with the same number of sessions: the statement must not touch them.
      await seedUser(seeder, Math.min(size, 10_000));
      const started = performance.now();
      const { sessionIds: ended } = await repository.endSessions(command(userId));
      const ms = performance.now() - started;
      if (ended.length !== size) throw new Error(`ended ${ended.length} of ${size}`);
      rows.push([size.toLocaleString('en'), ms.toFixed(0), ((ms * 1000) / size).toFixed(1)]);
    }
    printTable([['sessions ended (one global logout)', 'ms', 'µs per session'], ...rows]);

    // The plan at the largest size, inside a transaction that is rolled back.
    const largest = sizes[sizes.length - 1];
    const userId = await seedUser(seeder, largest);
    // The repository's statement, run as EXPLAIN ANALYZE on the seeding connection (no
    // statement timeout) inside a transaction that is rolled back.
    let plan: string[] = [];
    const explaining = {
      query: async (sql: string, parameters?: unknown[]): Promise<unknown[]> => {
        const explained = await seeder.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
          parameters,
        );
        plan = explained.rows.map((row) => row['QUERY PLAN']);
        return [{ ids: [], raced: [], queued: false, known: true }];
      },
    } as unknown as EntityManager;
    await seeder.query('BEGIN');
    try {
      await repository.endSessions(command(userId), explaining);
    } finally {
      await seeder.query('ROLLBACK');
    }
    console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the ending statement, ${largest} sessions:`);
    console.log(plan.join('\n'));
  } finally {
    await seeder.end().catch(() => undefined);
    await dataSource?.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
