import { ConsoleLogger, Logger as NestLogger } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter } from '../../src/app.setup';
import { Clock } from '../../src/common/clock/clock';
import { PASSWORD_HASH_OPTIONS } from '../../src/auth/services/password-hasher';
import { SettableClock } from './settable-clock';
import { testApps } from './test-app-registry';
import { createTestDatabase, type TestDatabase } from './test-database';

/** A route the HTTP server serves, as Fastify registered it (`HEAD` twins of `GET`s left out). */
export interface ServedRoute {
  method: string;
  path: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  /** Every route the server serves: controllers, Swagger, the console's static files. */
  routes: readonly ServedRoute[];
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
  /** More providers to replace, e.g. `LOG_DESTINATION` with a stream the test reads back. */
  overrides?: readonly { provide: unknown; useValue: unknown }[];
  /**
   * Route Nest's own log lines through the service's JSON logger, as `main.ts` does
   * (otherwise they go to Nest's console logger, errors only).
   */
  useAppLogger?: boolean;
}

/** Boots the real AppModule over HTTP on a real database; only the clock and hashing cost are swapped. */
export function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  return testApps.track(startTestApp(options));
}

async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const clock = new SettableClock();
  let builder = Test.createTestingModule({
    imports: [
      AppModule.forRoot({
        LOG_LEVEL: 'silent',
        // Suites register hundreds of users from one address; the limit itself is tested with
        // its own value (security.e2e-spec.ts).
        REGISTRATION_RATE_LIMIT: '1000000',
        ...database.env,
        ...options.env,
      }),
    ],
  })
    .overrideProvider(Clock)
    .useValue(clock)
    .overrideProvider(PASSWORD_HASH_OPTIONS)
    .useValue(TEST_HASH_OPTIONS);
  for (const override of options.overrides ?? []) {
    builder = builder.overrideProvider(override.provide).useValue(override.useValue);
  }
  const moduleRef = await builder.compile();
  const adapter = createHttpAdapter();
  const routes: ServedRoute[] = [];
  adapter.getInstance().addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, path: route.url });
    }
  });
  const app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, {
    bodyParser: false,
    logger: ['error'],
  });
  // Nest's logger is process-wide: once this app is closed, later apps log to the console again.
  const restoreLogger = () => {
    if (options.useAppLogger)
      NestLogger.overrideLogger(new ConsoleLogger({ logLevels: ['error'] }));
  };
  if (options.useAppLogger) app.useLogger(app.get(Logger));
  configureApp(app);
  try {
    await app.init();
    // Fastify loads its plugins (helmet, static files, Swagger) when it is ready: before
    // supertest's first request, which does not go through `listen`.
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    // A refused start must not leave its connections behind.
    await app.close().catch(() => undefined);
    restoreLogger();
    throw error;
  }
  const ownsDatabase = options.database === undefined;
  let closing: Promise<void> | undefined;
  const testApp: TestApp = {
    app,
    routes,
    clock,
    dataSource: app.get(DataSource),
    database,
    // Closing twice (the file's own hook, then the leftover sweep) closes once.
    close: () =>
      (closing ??= (async () => {
        testApps.closed(testApp);
        await app.close();
        restoreLogger();
        if (ownsDatabase) await database.drop();
      })()),
  };
  return testApp;
}
