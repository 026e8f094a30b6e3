/** Child processes and clean-up shared by `npm run bench` and `npm run soak`. */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];

export function onCleanUp(step: Cleanup): void {
  cleanups.push(step);
}

/** Runs the clean-up steps, last registered first; a failing step does not stop the others. */
export async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    try {
      await step();
    } catch (error) {
      console.error(`clean-up step failed: ${String(error)}`);
    }
  }
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  logPath: string;
  exited: Promise<void>;
  /** Set once the process has exited: its code, or -1 when a signal ended it. */
  exitCode?: number | null;
  exitedAt?: number;
}

/** The service's own settings never leak in from the caller's shell. */
const SERVICE_SETTINGS =
  /^(PORT|DATABASE_URL|DATA_DIR|REDIS_URL|REDIS_KEY_PREFIX|JWT_.*|ACCESS_TOKEN_.*|REFRESH_TOKEN_.*|SESSION_IDLE_TIMEOUT|LOGOUT_RATE_.*|SERVICE_CLIENTS|BOOTSTRAP_ADMIN_.*|TRUST_PROXY|LOG_LEVEL|CORS_ORIGINS)$/;

export function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  logPath: string,
): Child {
  const inherited = Object.entries(process.env).filter(([key]) => !SERVICE_SETTINGS.test(key));
  const fd = openSync(logPath, 'w');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...Object.fromEntries(inherited), ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const handle: Child = {
    name,
    process: child,
    pid: child.pid,
    logPath,
    exited: new Promise((done) => {
      child.once('exit', (code, signal) => {
        handle.exitCode = code ?? (signal ? -1 : null);
        handle.exitedAt = Date.now();
        done();
      });
    }),
  };
  onCleanUp(() => stopChild(handle));
  return handle;
}

export async function stopChild(
  child: Pick<Child, 'process' | 'exited' | 'exitCode'>,
): Promise<void> {
  if (child.exitCode !== undefined) return;
  child.process.kill('SIGTERM');
  const stopped = await Promise.race([
    child.exited.then(() => true),
    new Promise<boolean>((done) => setTimeout(() => done(false), 15_000)),
  ]);
  if (!stopped) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

export function logTail(child: Child, lines = 30): string {
  try {
    return readFileSync(child.logPath, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Until the child answers GET /health/ready with 200 (migrations run before it listens). */
export async function waitForReady(child: Child, baseUrl: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== undefined) {
      throw new Error(`${child.name} exited (${child.exitCode}) before ready:\n${logTail(child)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${child.name} not ready within ${timeoutMs} ms:\n${logTail(child)}`);
}
