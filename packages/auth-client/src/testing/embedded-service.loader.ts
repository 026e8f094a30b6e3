import { existsSync, readFileSync } from 'node:fs';
import { type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** The service's `dist/embedded-service.js`, typed as far as the harness uses it. */
export interface EmbeddedService {
  AppModule: { forRoot(env: Record<string, string | undefined>): unknown };
  configureApp(app: unknown): unknown;
  /** The HTTP server the service runs on (Fastify); `configureApp` needs an app built on it. */
  createHttpAdapter(): unknown;
  Clock: abstract new () => { now(): Date };
  PASSWORD_HASH_OPTIONS: symbol;
  SessionExpiryJob: abstract new (...args: never[]) => { sweep(): Promise<number> };
}

interface TestingModuleBuilder {
  overrideProvider(token: unknown): { useValue(value: unknown): TestingModuleBuilder };
  compile(): Promise<{ createNestApplication(adapter: unknown, options?: object): NestApp }>;
}

/** `@nestjs/testing` as the service resolves it, so the service runs on its own Nest instance. */
export interface NestTesting {
  Test: { createTestingModule(metadata: { imports: unknown[] }): TestingModuleBuilder };
}

export interface NestApp {
  init(): Promise<unknown>;
  listen(port: number, host: string): Promise<unknown>;
  getUrl(): Promise<string>;
  get<T>(token: unknown): T;
  getHttpServer(): Server;
  close(): Promise<void>;
}

const SERVICE_NAME = 'auth-service';

/**
 * Finds the auth service: `serviceDir` when given, else the `auth-service` package installed
 * beside the consumer, else (inside this monorepo) the workspace root above this package.
 * Loaded with Node's own `require` from the service's directory, so the service, its Nest
 * and its drivers are one consistent set whatever the consumer's test runner does.
 */
export function loadEmbeddedService(serviceDir?: string): {
  service: EmbeddedService;
  testing: NestTesting;
} {
  const dir = serviceDir ?? findServiceDir();
  const entry = join(dir, 'dist', 'embedded-service.js');
  if (!existsSync(entry)) {
    throw new Error(
      `auth-client/testing: ${entry} is missing; build the auth service first (npm run build in ${dir})`,
    );
  }
  const requireFromService = createRequire(join(dir, 'package.json'));
  return {
    service: requireFromService(entry) as EmbeddedService,
    testing: requireFromService('@nestjs/testing') as NestTesting,
  };
}

function findServiceDir(): string {
  try {
    const installed = createRequire(join(process.cwd(), 'package.json')).resolve(
      `${SERVICE_NAME}/package.json`,
    );
    return dirname(installed);
  } catch {
    // Not installed as a dependency: look for the monorepo root above this package.
  }
  for (let dir = resolve(__dirname); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === SERVICE_NAME
    ) {
      return dir;
    }
  }
  throw new Error(
    `auth-client/testing: cannot find the ${SERVICE_NAME} package; install it or pass serviceDir`,
  );
}
