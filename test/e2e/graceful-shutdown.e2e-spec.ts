import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { uniqueEmail } from '../factories/user.factory';
import { createTestApp } from '../utils/create-test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

const ROOT = resolve(__dirname, '../..');
const USERS = 60;
/** From SIGTERM to the process' exit, whatever was in flight. */
const EXIT_BOUND_MS = 20_000;

type Outcome =
  | { kind: 'answered'; status: number; body: string; headers: Record<string, unknown> }
  | { kind: 'refused'; code: string };

interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: object;
  /** Default: a connection of its own, closed after the response. */
  agent?: Agent;
}

/** One HTTP exchange with the child process; connection-level failures are results, not throws. */
function send(port: number, call: Call): Promise<Outcome> {
  return new Promise((resolvePromise) => {
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: call.method,
        path: call.path,
        agent: call.agent ?? false,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          ...call.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolvePromise({
            kind: 'answered',
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: response.headers,
          }),
        );
        response.on('error', (error: NodeJS.ErrnoException) =>
          resolvePromise({ kind: 'refused', code: error.code ?? error.message }),
        );
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      resolvePromise({ kind: 'refused', code: error.code ?? error.message }),
    );
    outgoing.end(payload);
  });
}

async function expectJson<T>(port: number, call: Call, status: number): Promise<T> {
  const outcome = await send(port, call);
  if (outcome.kind !== 'answered' || outcome.status !== status) {
    throw new Error(
      `${call.method} ${call.path}: expected ${status}, got ${JSON.stringify(outcome)}`,
    );
  }
  return JSON.parse(outcome.body) as T;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += width) {
    results.push(...(await Promise.all(items.slice(start, start + width).map(work))));
  }
  return results;
}

const clientIp = (index: number) => `203.0.113.${index + 1}`;

interface Seeded {
  index: number;
  userId: string;
  sessionId: string;
  accessToken: string;
  requestId: string;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

describe('graceful shutdown of the real process (SIGTERM during a burst of logouts)', () => {
  let database: TestDatabase;
  let port: number;
  let child: ChildProcess;
  let exited: Promise<Exit>;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', resolve(ROOT, 'src/main.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ...database.env,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          LOGOUT_RATE_LIMIT: '100000',
          TRUST_PROXY: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exited = new Promise((done) =>
      child.once('exit', (code, signal) => done({ code, signal, at: Date.now() })),
    );
    // ts-node compiles the service on the fly and PGlite initialises its directory: allow time.
    const deadline = Date.now() + 100_000;
    for (;;) {
      const outcome = await send(port, { method: 'GET', path: '/health/ready' });
      if (outcome.kind === 'answered' && outcome.status === 200) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the service did not become ready:\n${stderr}\n${stdout.slice(-2_000)}`);
      }
      await new Promise((done) => setTimeout(done, 200));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await database?.drop();
  });

  it('answers or refuses every request, commits every answered logout exactly once, and exits 0', async () => {
    // Seed: one session per user, each from a client address of its own.
    const seeded = await inBatches(
      Array.from({ length: USERS }, (_, index) => index),
      10,
      async (index): Promise<Seeded> => {
        const email = uniqueEmail('shutdown');
        const password = `shutdown-password-${index}`;
        const headers = { 'X-Forwarded-For': clientIp(index) };
        const user = await expectJson<{ id: string }>(
          port,
          { method: 'POST', path: '/auth/register', headers, body: { email, password } },
          201,
        );
        const session = await expectJson<{ sessionId: string; accessToken: string }>(
          port,
          { method: 'POST', path: '/auth/login', headers, body: { email, password } },
          200,
        );
        return {
          index,
          userId: user.id,
          sessionId: session.sessionId,
          accessToken: session.accessToken,
          requestId: `shutdown-logout-${index}-${randomUUID()}`,
        };
      },
    );

    // The burst: half the clients on connections of their own, half on keep-alive
    // connections (a load balancer's), which must not hold the process open after SIGTERM.
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });
    const logoutOf = (session: Seeded, agent: Agent | undefined): Call => ({
      method: 'POST',
      path: '/auth/logout',
      agent,
      headers: {
        Authorization: `Bearer ${session.accessToken}`,
        'X-Request-Id': session.requestId,
        'X-Forwarded-For': clientIp(session.index),
      },
      body: { scope: 'local' },
    });
    // Warm the keep-alive connections, so some are idle and some busy at the signal.
    await Promise.all(
      Array.from({ length: 8 }, () =>
        send(port, { method: 'GET', path: '/health/live', agent: keepAlive }),
      ),
    );

    let signalledAt = 0;
    let signalled!: () => void;
    const signal = new Promise<void>((done) => (signalled = done));
    const answeredAt = new Map<number, number>();
    const track = (session: Seeded) =>
      send(port, logoutOf(session, session.index % 2 === 0 ? keepAlive : undefined)).then(
        (outcome) => {
          answeredAt.set(session.index, Date.now());
          if (signalledAt === 0 && outcome.kind === 'answered') {
            // Midway: the first answer of the burst triggers the signal; the rest are in flight.
            signalledAt = Date.now();
            child.kill('SIGTERM');
            signalled();
          }
          return outcome;
        },
      );
    const firstWave = seeded.slice(0, USERS / 2).map(track);
    // The second half from the signal on, 5 ms apart: the first may still reach the server
    // before it stops listening, the later ones find it closed.
    await Promise.race([signal, Promise.all(firstWave)]);
    expect(signalledAt).toBeGreaterThan(0);
    const secondWave = seeded
      .slice(USERS / 2)
      .map(
        (session, offset) =>
          new Promise<Outcome>((done) =>
            setTimeout(() => void track(session).then(done), offset * 5),
          ),
      );
    const outcomes = await Promise.all([...firstWave, ...secondWave]);

    // Once the listener is closed (probed with a harmless request), a logout is refused at the
    // connection level, on a new connection and on the keep-alive pool alike: a connection
    // kept alive from before the signal must not go on taking requests.
    const closedBy = Date.now() + EXIT_BOUND_MS;
    while ((await send(port, { method: 'GET', path: '/health/live' })).kind === 'answered') {
      expect(Date.now()).toBeLessThan(closedBy);
      await new Promise((done) => setTimeout(done, 20));
    }
    const refusedAfterClose = { kind: 'refused', code: 'ECONNREFUSED' };
    expect(await send(port, logoutOf(seeded[0], keepAlive))).toEqual(refusedAfterClose);
    expect(await send(port, logoutOf(seeded[1], undefined))).toEqual(refusedAfterClose);

    let bound: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      exited,
      new Promise<Exit>((done) => {
        bound = setTimeout(() => done({ code: null, signal: null, at: -1 }), EXIT_BOUND_MS);
      }),
    ]).finally(() => clearTimeout(bound));
    expect(exit).toEqual({ code: 0, signal: null, at: expect.any(Number) as number });
    expect(exit.at - signalledAt).toBeLessThan(EXIT_BOUND_MS);
    expect(await send(port, logoutOf(seeded[2], keepAlive))).toEqual(refusedAfterClose);
    keepAlive.destroy();

    // Every request was answered 200 or refused at the connection level: never a 5xx.
    for (const outcome of outcomes) {
      if (outcome.kind === 'answered') expect(outcome.status).toBe(200);
      else expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(outcome.code);
    }
    const answered = seeded.filter((session) => outcomes[session.index].kind === 'answered');
    const refused = seeded.filter((session) => outcomes[session.index].kind === 'refused');
    // Midway means both: requests in flight at the signal were answered, later ones refused.
    expect(answered.length).toBeGreaterThan(1);
    expect(
      answered.filter((session) => (answeredAt.get(session.index) ?? 0) > signalledAt).length,
    ).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);

    // The service logged nothing at error level, and all of it as JSON.
    const lines = stdout.split('\n').filter((line) => line !== '');
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: number; msg?: string };
      expect([entry.level, entry.msg]).toEqual([expect.any(Number), expect.anything()]);
      expect(entry.level).toBeLessThan(50);
    }
    expect(stderr).toBe('');

    // After the exit, from the database itself: every answered logout ended its session and
    // left exactly one success event; nothing refused at the connection level was committed.
    const reopened = await createTestApp({ database });
    try {
      const sessions: { id: string; ended_at: Date | null }[] = await reopened.dataSource.query(
        'SELECT id, ended_at FROM sessions WHERE id = ANY($1)',
        [seeded.map((session) => session.sessionId)],
      );
      const endedById = new Map(sessions.map((row) => [row.id, row.ended_at]));
      const events: { request_id: string; session_id: string; outcome: string }[] =
        await reopened.dataSource.query(
          `SELECT request_id, session_id, outcome FROM audit_events
           WHERE action = 'logout' AND request_id = ANY($1)`,
          [seeded.map((session) => session.requestId)],
        );
      for (const session of answered) {
        expect(endedById.get(session.sessionId)).toBeInstanceOf(Date);
        expect(events.filter((event) => event.request_id === session.requestId)).toEqual([
          { request_id: session.requestId, session_id: session.sessionId, outcome: 'success' },
        ]);
      }
      for (const session of refused) {
        expect(endedById.get(session.sessionId)).toBeNull();
        expect(events.filter((event) => event.request_id === session.requestId)).toEqual([]);
      }
    } finally {
      await reopened.close();
    }
  }, 90_000);
});
