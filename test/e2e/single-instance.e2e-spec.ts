import { readProcessEnvironment } from '../../src/config/app-config';
import { createTestApp } from '../utils/create-test-app';
import { createTestDatabase } from '../utils/test-database';

const POSTGRES =
  readProcessEnvironment().DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

describe('without REDIS_URL, one instance per database', () => {
  it('refuses to start a second instance that would miss the first one’s revocations', async () => {
    const database = await createTestDatabase(POSTGRES);
    const withoutRedis = { REDIS_URL: undefined };
    const first = await createTestApp({ database, env: withoutRedis });
    try {
      await expect(createTestApp({ database, env: withoutRedis })).rejects.toThrow(
        /Another instance without REDIS_URL is using this database; set REDIS_URL/,
      );
      // With Redis configured, the same second instance is welcome.
      const shared = await createTestApp({
        database,
        env: { REDIS_URL: readProcessEnvironment().REDIS_URL || 'redis://127.0.0.1:6379' },
      });
      await shared.close();
    } finally {
      await first.close();
      await database.drop();
    }
  });
});
