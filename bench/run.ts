/**
 * `npm run bench`: throughput of logout and of an authenticated read, the real service
 * against a floor (bare node:http + pg doing the same minimum work), in one run on a
 * fresh PostgreSQL database that is dropped at the end.
 *
 * Environment (all optional):
 *   BENCH_DURATION      seconds per measured run (10)
 *   BENCH_WARMUP        seconds of warm-up before each measured run (3)
 *   BENCH_CONNECTIONS   concurrent connections (32)
 *   BENCH_USERS         users the seeded sessions are spread over (1000)
 *   BENCH_SESSIONS      sessions to seed per measured logout run (default: from the warm-up)
 *   BENCH_PG_URL        server to create the database on (postgres://postgres@127.0.0.1:5432)
 *   BENCH_REDIS_URL     Redis for the service (redis://127.0.0.1:6379)
 *   BENCH_SKIP_BUILD=1  use the existing dist/
 *   BENCH_CPU_PROF=1    write V8 CPU profiles of the service and the floor to bench/results/cpu-prof/
 *   BENCH_PHASES        which comparisons to run: "logout,read" (default), "logout" or "read"
 *   BENCH_SERVICE_ENV   extra service environment, space separated: "ACCESS_TOKEN_REVOCATION_CHECK=false REDIS_URL="
 *
 * Exit code 0 whether or not the targets are met (it is a report); 1 when the bench broke.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { decode } from 'jsonwebtoken';
import { Client } from 'pg';
import { CpuMeter } from './cpu';
import { type LoadOptions, type LoadStats, runLoad } from './load';
import {
  logoutEffects,
  type LogoutEffects,
  mintAccessToken,
  readSigningKey,
  seedSessions,
  seedTokenBatch,
  seedUsers,
  type ServiceSigningKey,
  type TokenBatch,
} from './seed';
import {
  type Child,
  cleanUp,
  freePort,
  logTail,
  onCleanUp,
  ROOT,
  startChild,
} from './child-process';
import { printTable } from './stats';

const RESULTS_DIR = join(ROOT, 'bench', 'results');
const LOGOUT_BODY = JSON.stringify({ scope: 'local' });
const TARGETS = { logout: 0.8, read: 1.0 } as const;

function numberFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
}

const settings = {
  durationSeconds: numberFromEnv('BENCH_DURATION', 10),
  warmupSeconds: numberFromEnv('BENCH_WARMUP', 3, 0),
  connections: numberFromEnv('BENCH_CONNECTIONS', 32),
  users: numberFromEnv('BENCH_USERS', 1000),
  sessionsOverride: process.env.BENCH_SESSIONS ? numberFromEnv('BENCH_SESSIONS', 0) : undefined,
  pgUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
  phases: phasesFromEnv(),
  serviceEnv: serviceEnvFromEnv(),
};

type Phase = keyof typeof TARGETS;

function phasesFromEnv(): Phase[] {
  const raw = process.env.BENCH_PHASES?.trim() || 'logout,read';
  const phases = raw.split(',').map((phase) => phase.trim());
  const unknown = phases.filter((phase) => !(phase in TARGETS));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')}`);
  return phases as Phase[];
}

function serviceEnvFromEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (process.env.BENCH_SERVICE_ENV ?? '').split(/\s+/).filter(Boolean)) {
    const separator = pair.indexOf('=');
    if (separator < 1) throw new Error(`BENCH_SERVICE_ENV: "${pair}" is not NAME=value`);
    env[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return env;
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

// ---------------------------------------------------------------------------------------
// Processes and clean-up

/** Until the child answers HTTP at all (any status): migrations run before it listens. */
async function waitForHttp(child: Child, baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== undefined) {
      throw new Error(
        `${child.name} exited (${child.exitCode}) before answering:\n${logTail(child)}`,
      );
    }
    try {
      await fetch(`${baseUrl}/auth/me`);
      return;
    } catch {
      await new Promise((done) => setTimeout(done, 200));
    }
  }
  throw new Error(`${child.name} did not answer within ${timeoutMs} ms:\n${logTail(child)}`);
}

/** `--cpu-prof` flags when BENCH_CPU_PROF=1: bench/results/cpu-prof/<name>.cpuprofile. */
function profileArgs(name: string): string[] {
  if (!settings.cpuProfile) return [];
  const dir = join(RESULTS_DIR, 'cpu-prof');
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

// ---------------------------------------------------------------------------------------
// HTTP helpers for seeding through the service

async function call<T>(
  baseUrl: string,
  method: string,
  path: string,
  expected: number,
  init: { token?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (response.status !== expected) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${response.status}: ${text}`);
  }
  return JSON.parse(text) as T;
}

/** Minted tokens must be indistinguishable from the service's own: same header and claim names. */
function assertSameShape(serviceToken: string, mintedToken: string): void {
  const shape = (token: string) => {
    const decoded = decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new Error('undecodable token');
    return JSON.stringify({
      header: Object.keys(decoded.header).sort(),
      alg: decoded.header.alg,
      typ: decoded.header.typ,
      kid: decoded.header.kid,
      claims: Object.keys(decoded.payload).sort(),
      iss: decoded.payload.iss,
      aud: decoded.payload.aud,
    });
  };
  if (shape(serviceToken) !== shape(mintedToken)) {
    throw new Error(
      `minted token differs from the service's:\n${shape(serviceToken)}\n${shape(mintedToken)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Phases

interface Target {
  name: 'service' | 'floor';
  baseUrl: string;
  pid: number;
}

/** A measured run: the load, and the CPU each party spent on it. */
async function measured(meter: CpuMeter, target: Target, options: LoadOptions) {
  const stop = await meter.start(target.pid);
  const stats = await runLoad(options);
  stats.cpuPerRequest = await stop(stats.responses2xx);
  return stats;
}

interface LogoutRun {
  stats: LoadStats;
  seeded: number;
  tokensUsed: number;
  exhausted: boolean;
  effects: LogoutEffects;
  /** Every 2xx ended a distinct live session: enough fresh tokens, and as many endings as successes. */
  distinctLiveSessions: boolean;
}

function rotating(tokens: readonly string[]) {
  const state = { used: 0, exhausted: false };
  return {
    state,
    next: () => {
      if (state.used >= tokens.length) state.exhausted = true;
      return tokens[state.used++ % tokens.length];
    },
  };
}

async function measureLogout(
  db: Client,
  meter: CpuMeter,
  key: ServiceSigningKey,
  userIds: readonly string[],
  target: Target,
): Promise<LogoutRun> {
  const base = {
    baseUrl: target.baseUrl,
    method: 'POST' as const,
    path: '/auth/logout',
    body: LOGOUT_BODY,
    connections: settings.connections,
  };
  let seeded = settings.sessionsOverride;
  if (settings.warmupSeconds > 0) {
    const warm = await seedTokenBatch(db, key, userIds, 10_000, `${target.name}-warmup`);
    const tokens = rotating(warm.tokens);
    log(`${target.name} logout: warm-up ${settings.warmupSeconds}s`);
    const warmup = await runLoad({
      ...base,
      title: `${target.name} logout warm-up`,
      durationSeconds: settings.warmupSeconds,
      nextToken: tokens.next,
    });
    // Generous: the measured run is often faster than a cold warm-up, and seeding is cheap.
    seeded ??= Math.max(
      20_000,
      Math.ceil(warmup.requestsPerSecondMax * settings.durationSeconds * 3) + 5_000,
    );
  }
  seeded ??= 200_000;

  const started = Date.now();
  const batch: TokenBatch = await seedTokenBatch(db, key, userIds, seeded, target.name);
  log(
    `${target.name} logout: seeded ${seeded} sessions + tokens in ${Date.now() - started} ms; ` +
      `measuring ${settings.durationSeconds}s`,
  );
  const tokens = rotating(batch.tokens);
  const stats = await measured(meter, target, {
    ...base,
    title: `${target.name} logout`,
    durationSeconds: settings.durationSeconds,
    nextToken: tokens.next,
  });
  // Let requests still in flight when autocannon stopped finish before counting.
  await new Promise((done) => setTimeout(done, 500));
  const effects = await logoutEffects(db, batch);
  return {
    stats,
    seeded,
    tokensUsed: tokens.state.used,
    exhausted: tokens.state.exhausted,
    effects,
    distinctLiveSessions:
      !tokens.state.exhausted &&
      effects.sessionsEnded >= stats.responses2xx &&
      effects.sessionsEnded <= tokens.state.used,
  };
}

async function measureRead(meter: CpuMeter, target: Target, token: string): Promise<LoadStats> {
  const base = {
    baseUrl: target.baseUrl,
    method: 'GET' as const,
    path: '/auth/me',
    connections: settings.connections,
    nextToken: () => token,
  };
  if (settings.warmupSeconds > 0) {
    log(`${target.name} read: warm-up ${settings.warmupSeconds}s`);
    await runLoad({
      ...base,
      title: `${target.name} read warm-up`,
      durationSeconds: settings.warmupSeconds,
    });
  }
  log(`${target.name} read: measuring ${settings.durationSeconds}s`);
  return measured(meter, target, {
    ...base,
    title: `${target.name} read`,
    durationSeconds: settings.durationSeconds,
  });
}

// ---------------------------------------------------------------------------------------
// Report

interface Comparison {
  phase: Phase;
  target: number;
  ratio: number;
  service: LoadStats;
  floor: LoadStats;
  ratioPass: boolean;
  serviceClean: boolean;
  pass: boolean;
}

function compare(phase: Phase, service: LoadStats, floor: LoadStats): Comparison {
  const target = TARGETS[phase];
  const ratio =
    floor.successesPerSecond > 0 ? service.successesPerSecond / floor.successesPerSecond : 0;
  const serviceClean = service.errors === 0 && service.timeouts === 0 && service.non2xx === 0;
  return {
    phase,
    target,
    ratio,
    service,
    floor,
    ratioPass: ratio >= target,
    serviceClean,
    pass: ratio >= target && serviceClean,
  };
}

const PHASE_LABELS: Record<Phase, string> = { logout: 'logout', read: 'read (/auth/me)' };

/** Where the time goes: CPU milliseconds per successful request, by party. */
function printCpu(comparisons: Comparison[]): void {
  const rows = [
    ['CPU ms per request', 'server', 'postgres', 'redis', 'load gen', 'server ÷ floor'],
  ];
  for (const comparison of comparisons) {
    const floorServer = comparison.floor.cpuPerRequest?.serverMs;
    for (const stats of [comparison.service, comparison.floor]) {
      const cpu = stats.cpuPerRequest;
      if (!cpu) continue;
      rows.push([
        stats.title,
        cpu.serverMs.toFixed(3),
        cpu.postgresMs.toFixed(3),
        cpu.redisMs === undefined ? '-' : cpu.redisMs.toFixed(3),
        cpu.loadGeneratorMs.toFixed(3),
        floorServer ? `${(cpu.serverMs / floorServer).toFixed(2)} ×` : '-',
      ]);
    }
  }
  if (rows.length === 1) return;
  console.log('');
  printTable(rows);
  console.log(
    '(a Node server is single-threaded: 1000 ÷ server CPU ms is the most it can serve per second)',
  );
}

function report(comparisons: Comparison[], logoutRuns: Record<string, LogoutRun>): void {
  const fixed = (value: number, digits = 0) => value.toFixed(digits);
  const ms = (value: number) => `${fixed(value, 1)} ms`;
  const failures = (stats: LoadStats) => `${stats.errors + stats.timeouts}/${stats.non2xx}`;
  const rows = [
    [
      '',
      'req/s svc',
      'req/s floor',
      'ratio',
      'target',
      'p50 svc',
      'p50 floor',
      'p99 svc',
      'p99 floor',
      'err/non2xx svc',
      'err/non2xx floor',
      'result',
    ],
  ];
  for (const comparison of comparisons) {
    const { service, floor } = comparison;
    rows.push([
      PHASE_LABELS[comparison.phase],
      fixed(service.successesPerSecond),
      fixed(floor.successesPerSecond),
      fixed(comparison.ratio, 2),
      `≥ ${comparison.target}`,
      ms(service.latencyP50Ms),
      ms(floor.latencyP50Ms),
      ms(service.latencyP99Ms),
      ms(floor.latencyP99Ms),
      failures(service),
      failures(floor),
      comparison.pass ? 'PASS' : 'FAIL',
    ]);
  }
  console.log('');
  printTable(rows);
  console.log('');
  console.log(
    `targets: logout ≥ ${TARGETS.logout} × floor, read ≥ ${TARGETS.read} × floor, ` +
      'no errors and no non-2xx from the service',
  );
  console.log(
    `  ${comparisons
      .map((comparison) => `${comparison.phase} ratio ${comparison.ratioPass ? 'PASS' : 'FAIL'}`)
      .join(', ')}, service errors ${
      comparisons.every((comparison) => comparison.serviceClean) ? 'PASS (none)' : 'FAIL'
    }`,
  );
  for (const [name, run] of Object.entries(logoutRuns)) {
    console.log(
      `  ${name} logout: ${run.stats.responses2xx} × 2xx; ${run.tokensUsed} distinct tokens sent ` +
        `of ${run.seeded} seeded; ${run.effects.sessionsEnded} sessions ended, ` +
        `${run.effects.refreshTokensRevoked} refresh tokens revoked, ` +
        `${run.effects.auditEvents} audit events: ` +
        (run.distinctLiveSessions
          ? 'each success ended a distinct live session'
          : 'NOT every success ended a distinct live session'),
    );
  }
  printCpu(comparisons);
  for (const comparison of comparisons) {
    for (const stats of [comparison.service, comparison.floor]) {
      for (const sample of stats.non2xxSamples) {
        console.log(`  ${stats.title} non-2xx sample: ${sample.status} ${sample.body}`);
      }
    }
  }
  console.log('(req/s counts 2xx responses per second; latencies are autocannon percentiles)');
}

function gitRevision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
      .toString()
      .trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain'], { cwd: ROOT }).toString().trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  mkdirSync(RESULTS_DIR, { recursive: true });

  if (!settings.skipBuild) {
    log('npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.status})`);
  }

  const dbName = `bench_${Date.now()}`;
  const databaseUrl = `${settings.pgUrl}/${dbName}`;
  const admin = new Client({ connectionString: `${settings.pgUrl}/postgres` });
  await admin.connect();
  onCleanUp(() => admin.end());
  await admin.query(`CREATE DATABASE ${dbName}`);
  onCleanUp(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    log(`dropped database ${dbName}`);
  });
  log(`created database ${dbName}`);

  const servicePort = await freePort();
  const serviceArgs = [
    ...profileArgs('service'),
    // Nest re-raises SIGTERM after its shutdown hooks, and a process killed by a signal
    // writes no profile: exit normally instead.
    ...(settings.cpuProfile
      ? ['--import=data:text/javascript,process.once("SIGTERM",()=>process.exit(0))']
      : []),
    'dist/main.js',
  ];
  const service = startChild(
    'service',
    serviceArgs,
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: settings.redisUrl,
      PORT: String(servicePort),
      LOGOUT_RATE_LIMIT: '1000000',
      NODE_ENV: 'production',
      ...settings.serviceEnv,
    },
    join(RESULTS_DIR, 'service.log'),
  );
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  await waitForHttp(service, serviceUrl);
  log(`service up on ${serviceUrl}`);

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  onCleanUp(() => db.end());

  // One real user through the API; its login gives the read run a genuine service token.
  const credentials = { email: 'bench@example.com', password: 'quiet-harbor-lantern-47' };
  const registered = await call<{ id: string }>(serviceUrl, 'POST', '/auth/register', 201, {
    body: credentials,
  });
  const login = await call<{ accessToken: string }>(serviceUrl, 'POST', '/auth/login', 200, {
    body: credentials,
  });
  const key = await readSigningKey(db);
  const userIds = await seedUsers(db, registered.id, settings.users);
  log(`registered ${registered.id}; ${userIds.length} users`);

  // The minted tokens are accepted by the service exactly like its own.
  const [probe] = await seedSessions(db, [registered.id], 1);
  const probeToken = mintAccessToken(key, probe);
  assertSameShape(login.accessToken, probeToken);
  await call(serviceUrl, 'GET', '/auth/me', 200, { token: probeToken });

  const floorPort = await freePort();
  const floor = startChild(
    'floor',
    [...profileArgs('floor'), '-r', 'ts-node/register/transpile-only', 'bench/floor-server.ts'],
    { DATABASE_URL: databaseUrl, PORT: String(floorPort), NODE_ENV: 'production' },
    join(RESULTS_DIR, 'floor.log'),
  );
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  await waitForHttp(floor, floorUrl);
  await call(floorUrl, 'GET', '/auth/me', 200, { token: probeToken });
  log(`floor server up on ${floorUrl}`);

  const targets: Target[] = [
    { name: 'service', baseUrl: serviceUrl, pid: service.process.pid ?? 0 },
    { name: 'floor', baseUrl: floorUrl, pid: floor.process.pid ?? 0 },
  ];
  const serviceRedis =
    'REDIS_URL' in settings.serviceEnv ? settings.serviceEnv.REDIS_URL : settings.redisUrl;
  const meter = new CpuMeter(db, dbName, serviceRedis || undefined);
  onCleanUp(() => meter.close());
  const logoutRuns: Record<string, LogoutRun> = {};
  const reads: Record<string, LoadStats> = {};
  const comparisons: Comparison[] = [];
  if (settings.phases.includes('logout')) {
    for (const target of targets) {
      logoutRuns[target.name] = await measureLogout(db, meter, key, userIds, target);
    }
    comparisons.push(compare('logout', logoutRuns.service.stats, logoutRuns.floor.stats));
  }
  if (settings.phases.includes('read')) {
    for (const target of targets) {
      reads[target.name] = await measureRead(meter, target, login.accessToken);
    }
    comparisons.push(compare('read', reads.service, reads.floor));
  }

  // The read token's session must have stayed live through the whole run.
  await call(serviceUrl, 'GET', '/auth/me', 200, { token: login.accessToken });

  report(comparisons, logoutRuns);
  const loadAfter = loadavg();
  if (loadBefore[0] > cpus().length / 2) {
    console.log(
      `note: the machine was already busy (load average ${loadBefore[0].toFixed(1)} on ` +
        `${cpus().length} CPUs) when the bench started; absolute figures and ratios are noisy`,
    );
  }

  const brokenRuns = Object.entries(logoutRuns).filter(([, run]) => run.exhausted);
  const invalidRuns = Object.entries(logoutRuns).filter(([, run]) => !run.distinctLiveSessions);
  if (invalidRuns.length > 0) {
    console.log(
      `warning: in ${invalidRuns.map(([name]) => name).join(', ')}, not every 2xx logout ` +
        'ended a distinct live session (see the counts above)',
    );
  }
  const byPhase = Object.fromEntries(
    comparisons.map((comparison) => [comparison.phase, comparison]),
  );
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    revision: gitRevision(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    // The URLs may carry credentials: not in a file.
    settings: { ...settings, pgUrl: undefined, redisUrl: undefined },
    targets: TARGETS,
    ...byPhase,
    logoutRuns,
    pass: comparisons.every((comparison) => comparison.pass),
    valid: invalidRuns.length === 0,
  };
  const resultsPath = join(RESULTS_DIR, 'latest.json');
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${resultsPath}`);
  if (brokenRuns.length > 0) {
    throw new Error(
      `ran out of fresh sessions in ${brokenRuns.map(([name]) => name).join(', ')}: ` +
        'some logouts hit already-ended sessions; set BENCH_SESSIONS higher',
    );
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

void main()
  .then(
    () => 0,
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    },
  )
  .then(async (code) => {
    if (interrupted) return;
    await cleanUp();
    process.exit(code);
  });
