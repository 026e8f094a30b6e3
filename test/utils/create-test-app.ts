import { type NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { Clock } from '../../src/common/clock/clock';
import { PASSWORD_HASH_OPTIONS } from '../../src/auth/services/password-hasher';
import { SettableClock } from './settable-clock';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  clock: SettableClock;
  dataSource: DataSource;
  database: TestDatabase;
  close(): Promise<void>;
}

/** Cheap argon2id in tests: the algorithm is the same, the cost is not what is under test. */
const TEST_HASH_OPTIONS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Reuse another app's database (several instances on one database). */
  database?: TestDatabase;
}

/** Boots the real AppModule over HTTP on a real database; only the clock and hashing cost are swapped. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const clock = new SettableClock();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ LOG_LEVEL: 'silent', ...database.env, ...options.env })],
  })
    .overrideProvider(Clock)
    .useValue(clock)
    .overrideProvider(PASSWORD_HASH_OPTIONS)
    .useValue(TEST_HASH_OPTIONS)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: ['error'],
  });
  configureApp(app);
  try {
    await app.init();
  } catch (error) {
    // A refused start must not leave its connections behind.
    await app.close().catch(() => undefined);
    throw error;
  }
  const ownsDatabase = options.database === undefined;
  return {
    app,
    clock,
    dataSource: app.get(DataSource),
    database,
    close: async () => {
      await app.close();
      if (ownsDatabase) await database.drop();
    },
  };
}
