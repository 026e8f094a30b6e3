/**
 * `npm run bench:propagation`: how fast a logout reaches a service that verifies tokens
 * itself. The real service (dist/) and the example consumer (examples/consumer-service, on
 * @auth-service/auth-client) run as child processes on a fresh PostgreSQL database + Redis.
 *
 * 1. Propagation, poll and push: for each of BENCH_LOGOUTS sessions, the consumer first
 *    accepts the token (200); then `POST /auth/logout`; the clock starts at its 200 and stops
 *    at the consumer's first 401 (`session_ended`) for that token. p50 / p99 / max.
 * 2. Cost to the logout path: logout throughput with the bench's own load engine
 *    (bench/load.ts, as `npm run bench`), alternating runs without any receiver stream and
 *    with a polling receiver, on the same service and database.
 *
 * Environment (all optional):
 *   BENCH_LOGOUTS          logouts measured per delivery method (1000)
 *   BENCH_CONCURRENCY      logouts in flight at once in the propagation phase (4)
 *   BENCH_MODES            "poll,push" (default), "poll" or "push"
 *   BENCH_DURATION         seconds per throughput run (8); BENCH_ROUNDS pairs of runs (3)
 *   BENCH_CONNECTIONS      connections in the throughput runs (32)
 *   BENCH_PG_URL, BENCH_REDIS_URL, BENCH_SKIP_BUILD=1   as for `npm run bench`
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  type Child,
  cleanUp,
  freePort,
  logTail,
  onCleanUp,
  ROOT,
  startChild,
  stopChild,
  waitForReady,
} from './child-process';
import { runLoad } from './load';
import {
  mintAccessToken,
  readSigningKey,
  seedSessions,
  seedTokenBatch,
  seedUsers,
  type ServiceSigningKey,
} from './seed';
import { forEachLimited, percentile, printTable } from './stats';
import { numberFromEnv } from './env';

const RESULTS_DIR = join(ROOT, 'bench', 'results');
const CLIENT = { id: 'orders', secret: 'bench-orders-secret-0123456789' };
const GOALS = { pollP99Ms: 1_000, pushP99Ms: 250, logoutCost: 0.05 } as const;

const settings = {
  logouts: numberFromEnv('BENCH_LOGOUTS', 1000),
  concurrency: numberFromEnv('BENCH_CONCURRENCY', 4),
  modes: (process.env.BENCH_MODES?.trim() || 'poll,push').split(',').map((mode) => mode.trim()) as (
    'poll' | 'push'
  )[],
  durationSeconds: numberFromEnv('BENCH_DURATION', 8),
  rounds: numberFromEnv('BENCH_ROUNDS', 3),
  connections: numberFromEnv('BENCH_CONNECTIONS', 32),
  pgUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
};

function log(message: string): void {
  console.log(`[propagation ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

async function http(
  url: string,
  init: { method?: string; token?: string; body?: unknown; authorization?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.authorization) headers.authorization = init.authorization;
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

interface Consumer {
  child: Child;
  url: string;
}

async function startConsumer(
  serviceUrl: string,
  port: number,
  mode: 'poll' | 'push',
): Promise<Consumer> {
  const url = `http://127.0.0.1:${port}`;
  const child = startChild(
    `consumer-${mode}`,
    ['-r', 'ts-node/register/transpile-only', 'examples/consumer-service/src/main.ts'],
    {
      AUTH_SERVICE_URL: serviceUrl,
      AUTH_CLIENT_ID: CLIENT.id,
      AUTH_CLIENT_SECRET: CLIENT.secret,
      PORT: String(port),
      ...(mode === 'push' ? { AUTH_PUSH_URL: `${url}/ssf/events` } : {}),
    },
    join(RESULTS_DIR, `consumer-${mode}.log`),
  );
  // Ready when its stream vouches for every ending (a poll answered, or a pushed verification).
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== undefined) throw new Error(`consumer exited:\n${logTail(child)}`);
    try {
      const { body } = await http(`${url}/health`);
      if (body.stream === 'fresh') return { child, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`consumer stream not fresh in 90 s:\n${logTail(child)}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** Logout's 200 → the consumer's first 401 for that token, per logout, in ms. */
async function measurePropagation(
  db: Client,
  key: ServiceSigningKey,
  userIds: readonly string[],
  serviceUrl: string,
  consumer: Consumer,
): Promise<number[]> {
  const sessions = await seedSessions(db, userIds, settings.logouts);
  const tokens = sessions.map((session) => mintAccessToken(key, session));
  const delays: number[] = [];
  await forEachLimited(tokens, settings.concurrency, async (token) => {
    const before = await http(`${consumer.url}/orders`, { token });
    if (before.status !== 200)
      throw new Error(`consumer refused a live token: ${JSON.stringify(before.body)}`);
    const logout = await http(`${serviceUrl}/auth/logout`, { token, body: { scope: 'local' } });
    if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`);
    const loggedOutAt = performance.now();
    for (;;) {
      const after = await http(`${consumer.url}/orders`, { token });
      if (after.status === 401) {
        if (after.body.code !== 'session_ended')
          throw new Error(`unexpected 401: ${JSON.stringify(after.body)}`);
        delays.push(performance.now() - loggedOutAt);
        return;
      }
      await new Promise((done) => setTimeout(done, 1));
    }
  });
  return delays.sort((a, b) => a - b);
}

async function deleteStream(serviceUrl: string): Promise<void> {
  const { status, body } = await http(`${serviceUrl}/ssf/streams`, { authorization: basic });
  if (status !== 200) throw new Error(`GET /ssf/streams answered ${status}`);
  const streams = (Array.isArray(body) ? body : [body]) as { stream_id?: string }[];
  for (const stream of streams.filter((entry) => entry.stream_id)) {
    const deleted = await http(`${serviceUrl}/ssf/streams?stream_id=${stream.stream_id}`, {
      method: 'DELETE',
      authorization: basic,
    });
    if (deleted.status !== 204) throw new Error(`DELETE /ssf/streams answered ${deleted.status}`);
  }
}

/** Logout throughput (2xx/s) of one run, each request ending a distinct seeded session. */
async function logoutThroughput(
  db: Client,
  key: ServiceSigningKey,
  userIds: readonly string[],
  serviceUrl: string,
  label: string,
) {
  const batch = await seedTokenBatch(db, key, userIds, 2_000 * settings.durationSeconds, label);
  let next = 0;
  const stats = await runLoad({
    title: label,
    baseUrl: serviceUrl,
    method: 'POST',
    path: '/auth/logout',
    body: JSON.stringify({ scope: 'local' }),
    durationSeconds: settings.durationSeconds,
    connections: settings.connections,
    nextToken: () => batch.tokens[next++ % batch.tokens.length],
  });
  if (next > batch.tokens.length) log(`warning: ${label} reused tokens (seed more sessions)`);
  return stats.successesPerSecond;
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

async function main(): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const loadBefore = loadavg();
  if (!settings.skipBuild) {
    log('npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.status})`);
  }

  const dbName = `bench_propagation_${Date.now()}`;
  const admin = new Client({ connectionString: `${settings.pgUrl}/postgres` });
  await admin.connect();
  onCleanUp(() => admin.end());
  await admin.query(`CREATE DATABASE ${dbName}`);
  onCleanUp(() =>
    admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).then(() => undefined),
  );

  const [servicePort, consumerPort] = [await freePort(), await freePort()];
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const service = startChild(
    'service',
    ['dist/main.js'],
    {
      DATABASE_URL: `${settings.pgUrl}/${dbName}`,
      REDIS_URL: settings.redisUrl,
      PORT: String(servicePort),
      PUBLIC_URL: serviceUrl,
      SERVICE_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
      SSF_PUSH_ALLOWED_ORIGINS: `http://127.0.0.1:${consumerPort}`,
      LOGOUT_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    join(RESULTS_DIR, 'propagation-service.log'),
  );
  await waitForReady(service, serviceUrl);
  log(`service up on ${serviceUrl}`);

  const db = new Client({ connectionString: `${settings.pgUrl}/${dbName}` });
  await db.connect();
  onCleanUp(() => db.end());
  const registered = await http(`${serviceUrl}/auth/register`, {
    body: { email: 'bench-propagation@example.com', password: 'violet harbour lantern 42' },
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const userIds = await seedUsers(db, registered.body.id as string, 1000);
  const key = await readSigningKey(db);

  const propagation: Record<
    string,
    { p50: number; p99: number; max: number; count: number; goalMs: number }
  > = {};
  for (const mode of settings.modes) {
    const consumer = await startConsumer(serviceUrl, consumerPort, mode);
    log(
      `${mode}: consumer stream fresh; ${settings.logouts} logouts, ${settings.concurrency} at a time`,
    );
    const delays = await measurePropagation(db, key, userIds, serviceUrl, consumer);
    await stopChild(consumer.child);
    propagation[mode] = {
      count: delays.length,
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: delays[delays.length - 1] ?? 0,
      goalMs: mode === 'poll' ? GOALS.pollP99Ms : GOALS.pushP99Ms,
    };
  }

  const without: number[] = [];
  const withReceiver: number[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    await deleteStream(serviceUrl);
    without.push(await logoutThroughput(db, key, userIds, serviceUrl, `logout-no-stream-${round}`));
    const consumer = await startConsumer(serviceUrl, consumerPort, 'poll');
    withReceiver.push(
      await logoutThroughput(db, key, userIds, serviceUrl, `logout-with-stream-${round}`),
    );
    await stopChild(consumer.child);
    log(
      `round ${round}: ${without[round - 1].toFixed(0)} vs ${withReceiver[round - 1].toFixed(0)} logouts/s`,
    );
  }
  const cost = 1 - median(withReceiver) / median(without);

  printTable([
    ['delivery', 'logouts', 'p50 ms', 'p99 ms', 'max ms', 'goal p99', 'met'],
    ...Object.entries(propagation).map(([mode, stats]) => [
      mode,
      String(stats.count),
      stats.p50.toFixed(1),
      stats.p99.toFixed(1),
      stats.max.toFixed(1),
      `< ${stats.goalMs}`,
      stats.p99 < stats.goalMs ? 'yes' : 'NO',
    ]),
  ]);
  console.log('');
  printTable([
    ['logout throughput', 'runs (2xx/s)', 'median'],
    [
      'no receiver stream',
      without.map((value) => value.toFixed(0)).join(', '),
      median(without).toFixed(0),
    ],
    [
      'polling receiver',
      withReceiver.map((value) => value.toFixed(0)).join(', '),
      median(withReceiver).toFixed(0),
    ],
    ['cost', '', `${(cost * 100).toFixed(1)}% (goal < ${GOALS.logoutCost * 100}%)`],
  ]);
  if (loadBefore[0] > cpus().length / 2) {
    console.log(
      `note: load average ${loadBefore[0].toFixed(1)} on ${cpus().length} CPUs at start; figures are noisy`,
    );
  }
  const resultsPath = join(RESULTS_DIR, 'propagation-latest.json');
  writeFileSync(
    resultsPath,
    `${JSON.stringify({ finishedAt: new Date().toISOString(), settings: { ...settings, pgUrl: undefined, redisUrl: undefined }, propagation, throughput: { without, withReceiver, cost }, loadAverageBefore: loadBefore }, null, 2)}\n`,
  );
  log(`results written to ${resultsPath}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

void main()
  .then(
    () => 0,
    (error: unknown) => {
      console.error(
        `bench:propagation failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 1;
    },
  )
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
