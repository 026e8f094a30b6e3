import { type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  AuthClient,
  type AuthClientModuleOptions,
  type ReceivedSecurityEvent,
} from '@auth-service/auth-client';
import { type AuthServiceHarness, startAuthService } from '@auth-service/auth-client/testing';
import { createTestDatabase, type TestDatabase } from '../../../test/utils/test-database';
import { readProcessEnvironment } from '../../../src/config/app-config';
import { ConsumerModule } from '../src/consumer.module';

/** The example consumer, in-process, with what it received recorded for the assertions. */
export interface RunningConsumer {
  app: INestApplication;
  client: AuthClient;
  events: ReceivedSecurityEvent[];
  /** Status of `GET /orders` with this access token: 200 accepted, 401 refused. */
  status(accessToken: string): Promise<number>;
  close(): Promise<void>;
}

export async function startConsumer(
  harness: Pick<AuthServiceHarness, 'clientOptions'>,
  options: Partial<AuthClientModuleOptions> = {},
  /** Listen on this port (push delivery needs a reachable endpoint); in-process otherwise. */
  port?: number,
): Promise<RunningConsumer> {
  const events: ReceivedSecurityEvent[] = [];
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConsumerModule.forRoot(
        harness.clientOptions({
          retryDelayMs: { first: 20, max: 500 },
          onSecurityEvent: (event) => events.push(event),
          ...options,
        }),
      ),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  if (port === undefined) await app.init();
  else await app.listen(port, '127.0.0.1');
  return {
    app,
    client: app.get(AuthClient),
    events,
    status: async (accessToken) =>
      (
        await request(app.getHttpServer())
          .get('/orders')
          .set('Authorization', `Bearer ${accessToken}`)
      ).status,
    close: () => app.close(),
  };
}

/**
 * The auth service's database and Redis for one suite: the PostgreSQL server and Redis
 * named by DATABASE_URL / REDIS_URL when set (a fresh database, dropped afterwards),
 * otherwise embedded PGlite and in-process stores, as the root e2e suites do.
 */
export async function serviceEnvironment(): Promise<{
  env: Record<string, string | undefined>;
  database: TestDatabase;
}> {
  const database = await createTestDatabase();
  const redis = readProcessEnvironment().REDIS_URL || undefined;
  return {
    database,
    env: { ...database.env, REDIS_URL: database.env.DATABASE_URL ? redis : undefined },
  };
}

export async function startService(
  env: Record<string, string | undefined>,
  more: Record<string, string | undefined> = {},
  port?: number,
): Promise<AuthServiceHarness> {
  return startAuthService({
    env: { ...env, ...more },
    clientId: 'orders',
    clientSecret: CLIENT_SECRET,
    port,
  });
}

export const CLIENT_SECRET = 'orders-secret-0123456789abcdef';

/** Until `condition` holds; the jest timeout bounds it, so no assertion depends on speed. */
export async function eventually(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((done) => setTimeout(done, 10));
}
