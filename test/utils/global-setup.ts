import { Client } from 'pg';
import { serverUrl } from './test-database';

/** Fails fast, with one clear line, when DATABASE_URL names a server that does not answer. */
export default async function globalSetup(): Promise<void> {
  const url = serverUrl();
  if (!url) return;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`e2e: cannot reach DATABASE_URL (${String(error)})`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
