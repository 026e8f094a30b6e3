import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readProcessEnvironment } from '../../src/config/app-config';

/**
 * Each test app gets a database of its own: a fresh PostgreSQL database on the server
 * named by DATABASE_URL (created here, dropped after the run), or, with no DATABASE_URL, a
 * fresh embedded PGlite directory. Either way the service's own migrations build the schema.
 */
export interface TestDatabase {
  readonly env: Record<string, string | undefined>;
  drop(): Promise<void>;
}

export const serverUrl = (): string | undefined =>
  readProcessEnvironment().DATABASE_URL || undefined;

/** `server` forces a PostgreSQL server even when DATABASE_URL is unset (multi-instance tests). */
export async function createTestDatabase(server = serverUrl()): Promise<TestDatabase> {
  const url = server;
  if (!url) {
    const dataDir = mkdtempSync(join(tmpdir(), 'auth-service-test-'));
    return {
      env: {
        DATABASE_URL: undefined,
        DATA_DIR: dataDir,
        REDIS_KEY_PREFIX: `auth-test:${basename(dataDir)}:`,
      },
      drop: () => Promise.resolve(),
    };
  }
  const name = `auth_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  return {
    // Instances sharing this database share Redis state too, and nothing of earlier runs.
    env: { DATABASE_URL: databaseUrl.toString(), REDIS_KEY_PREFIX: `auth-test:${name}:` },
    drop: async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
