import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthClient } from '../core/auth-client';
import { type AuthClientOptions } from '../core/auth-client.options';
import { loadEmbeddedService, type NestApp } from './embedded-service.loader';

export interface StartAuthServiceOptions {
  /**
   * More service variables. Without `DATABASE_URL` the service runs on embedded PGlite in a
   * fresh temporary directory (no database server needed); pass `DATA_DIR` to reuse one.
   */
  env?: Record<string, string | undefined>;
  /** The service client your consumer uses (generated when omitted). */
  clientId?: string;
  clientSecret?: string;
  /** Listen on this port (default: a free one). Pass the old port to restart "the same" service. */
  port?: number;
  /** Where the auth service is installed; found on its own in most set-ups (see README). */
  serviceDir?: string;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export interface TestSession {
  userId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

export interface HttpResult {
  status: number;
  body: unknown;
}

/** Cheap argon2id: the algorithm is the service's, the cost is not what a consumer's test is about. */
const TEST_HASH_OPTIONS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/**
 * The real auth service, started in-process on an ephemeral port for a consuming service's
 * e2e tests, with helpers to create users, log in, end sessions and wait until an ending has
 * reached your `AuthClient`.
 */
export class AuthServiceHarness {
  private constructor(
    private readonly app: NestApp,
    /** The service's clock: moved forward (session expiry) instead of waiting. */
    readonly clock: { advance(ms: number): void; now(): Date },
    readonly baseUrl: string,
    readonly port: number,
    readonly clientId: string,
    readonly clientSecret: string,
    readonly admin: { email: string; password: string },
    /** `iss` and `aud` of the service's access tokens (`JWT_ISSUER`, `JWT_AUDIENCE`). */
    readonly issuer: string,
    readonly audience: string,
    private readonly sweepJob: { sweep(): Promise<number> },
    private readonly ownedDataDir: string | undefined,
  ) {}

  static async start(options: StartAuthServiceOptions = {}): Promise<AuthServiceHarness> {
    const { service, testing } = loadEmbeddedService(options.serviceDir);
    const clientId = options.clientId ?? 'consumer';
    const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
    const admin = {
      email: 'admin@auth-client.test',
      password: randomBytes(12).toString('base64url'),
    };
    const ownedDataDir =
      options.env?.DATABASE_URL || options.env?.DATA_DIR
        ? undefined
        : mkdtempSync(join(tmpdir(), 'auth-client-testing-'));
    const port = options.port ?? (await freePort());
    const baseUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string | undefined> = {
      LOG_LEVEL: 'silent',
      // A long poll holds the service's shutdown until it answers: keep tests' restarts quick.
      SSF_POLL_TIMEOUT: '5s',
      // A test creates and logs in many users from one address: not what the limits are for.
      REGISTRATION_RATE_LIMIT: '1000000',
      LOGIN_RATE_LIMIT: '1000000',
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
      PUBLIC_URL: baseUrl,
      SERVICE_CLIENTS: `${clientId}:${clientSecret}`,
      BOOTSTRAP_ADMIN_EMAIL: admin.email,
      BOOTSTRAP_ADMIN_PASSWORD: admin.password,
      ...(ownedDataDir ? { DATA_DIR: ownedDataDir } : {}),
      ...options.env,
    };

    let offsetMs = 0;
    class HarnessClock extends service.Clock {
      override now(): Date {
        return new Date(Date.now() + offsetMs);
      }
    }
    const moduleRef = await testing.Test.createTestingModule({
      imports: [service.AppModule.forRoot(env)],
    })
      .overrideProvider(service.Clock)
      .useValue(new HarnessClock())
      .overrideProvider(service.PASSWORD_HASH_OPTIONS)
      .useValue(TEST_HASH_OPTIONS)
      .compile();
    const app = moduleRef.createNestApplication(service.createHttpAdapter(), {
      bodyParser: false,
      logger: ['error'],
    });
    service.configureApp(app);
    try {
      await app.listen(port, '127.0.0.1');
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    return new AuthServiceHarness(
      app,
      { advance: (ms) => (offsetMs += ms), now: () => new Date(Date.now() + offsetMs) },
      baseUrl,
      port,
      clientId,
      clientSecret,
      admin,
      env.JWT_ISSUER ?? 'auth-service',
      env.JWT_AUDIENCE ?? 'auth-service',
      app.get(service.SessionExpiryJob),
      ownedDataDir,
    );
  }

  /** What `AuthClient` / `AuthClientModule.forRoot` need to trust this service. */
  clientOptions(overrides: Partial<AuthClientOptions> = {}): AuthClientOptions {
    return {
      issuer: this.issuer,
      audience: this.audience,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      serviceUrl: this.baseUrl,
      ...overrides,
    };
  }

  /**
   * Any call to the service: `token` as a Bearer, `client` as HTTP Basic (default: this
   * harness's service client), `body` as JSON or `form` as `application/x-www-form-urlencoded`.
   */
  async request(
    method: string,
    path: string,
    options: {
      token?: string;
      client?: { id: string; secret: string } | true;
      body?: unknown;
      form?: Record<string, string>;
    } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.client) {
      const client =
        options.client === true ? { id: this.clientId, secret: this.clientSecret } : options.client;
      headers.authorization = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
    }
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text || undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }

  async createUser(input: { email?: string; password?: string } = {}): Promise<TestUser> {
    const email = input.email ?? `user-${randomUUID()}@auth-client.test`;
    const password = input.password ?? `pw-${randomBytes(9).toString('base64url')}`;
    const { body } = await this.expect(201, 'POST', '/auth/register', {
      body: { email, password },
    });
    return { id: (body as { id: string }).id, email, password };
  }

  async login(user: { email: string; password: string }): Promise<TestSession> {
    const { body } = await this.expect(200, 'POST', '/auth/login', {
      body: { email: user.email, password: user.password },
    });
    const login = body as {
      accessToken: string;
      refreshToken: string;
      sessionId: string;
      user: { id: string };
    };
    return {
      userId: login.user.id,
      sessionId: login.sessionId,
      accessToken: login.accessToken,
      refreshToken: login.refreshToken,
    };
  }

  /** The bootstrap admin, logged in now (fresh `auth_time`, so destructive admin calls pass). */
  loginAdmin(): Promise<TestSession> {
    return this.login(this.admin);
  }

  async logout(
    session: TestSession,
    scope: 'local' | 'others' | 'global' = 'local',
  ): Promise<void> {
    await this.expect(200, 'POST', '/auth/logout', { token: session.accessToken, body: { scope } });
  }

  /** Runs the session-expiry sweep now (after `clock.advance`), as its timer would. */
  sweepExpiredSessions(): Promise<number> {
    return this.sweepJob.sweep();
  }

  /**
   * Resolves once `client` has learned that the session ended (through its stream or
   * introspection); rejects after `timeoutMs` so a broken set-up fails with a clear message.
   * The default outlasts the service's poll lease (30 s): a SET whose poll response was lost
   * (a restart mid-response) comes again only once its lease runs out.
   */
  async waitForSessionEnded(
    client: AuthClient,
    sessionId: string,
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!client.hasSessionEnded(sessionId)) {
      if (Date.now() > deadline) {
        throw new Error(`session ${sessionId} did not reach the consumer within ${timeoutMs} ms`);
      }
      await new Promise((done) => setTimeout(done, 5));
    }
  }

  /**
   * Stops the service as its SIGTERM handler would: a receiver's busy keep-alive connection
   * (a long poll, then the next one) would otherwise keep the HTTP server open for ever, so
   * every response from now on closes its connection.
   */
  async close(): Promise<void> {
    const server = this.app.getHttpServer();
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      response.setHeader('Connection', 'close');
    });
    server.closeIdleConnections();
    await this.app.close();
    if (this.ownedDataDir) rmSync(this.ownedDataDir, { recursive: true, force: true });
  }

  /** `request`, failing with the service's answer when the status is not the expected one. */
  async expect(
    status: number,
    method: string,
    path: string,
    options: Parameters<AuthServiceHarness['request']>[2] = {},
  ): Promise<HttpResult> {
    const result = await this.request(method, path, options);
    if (result.status !== status) {
      throw new Error(
        `${method} ${path} answered ${result.status}: ${JSON.stringify(result.body)}`,
      );
    }
    return result;
  }
}

/** Starts the real auth service in-process (see `AuthServiceHarness`). */
export function startAuthService(options?: StartAuthServiceOptions): Promise<AuthServiceHarness> {
  return AuthServiceHarness.start(options);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
