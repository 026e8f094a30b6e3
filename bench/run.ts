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
 *   BENCH_PHASES        which phases to run, comma separated (default: all):
 *                         logout, read   service vs floor, interleaved over BENCH_ROUNDS rounds
 *                         login          service login vs the raw argon2 verification rate
 *                         refresh        service refresh (each request rotates a distinct token)
 *                         ssf            logout with SSF receivers (one poll + one push stream)
 *                                        vs none, interleaved over BENCH_ROUNDS rounds: issue 10's
 *                                        "< 5 % of logout throughput"
 *   BENCH_ROUNDS        rounds of the interleaved phases (3); each figure is the median round
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
import {
  argon2VerifyRate,
  once,
  passwordHashOf,
  seededEmails,
  seedRefreshTokens,
} from './service-phases';
import { PushSink, Receivers, ssfServiceEnv } from './ssf-receivers';
import { percentile, printTable } from './stats';
import { numberFromEnv } from './env';

const RESULTS_DIR = join(ROOT, 'bench', 'results');
const LOGOUT_BODY = JSON.stringify({ scope: 'local' });
/** Live sessions the read phase rotates over (the yardstick's `--read-sessions` default). */
const READ_SESSIONS = 2_000;
const TARGETS = { logout: 0.8, read: 1.0 } as const;
/** Issue 10: what SSF delivery may cost the logout path. */
const SSF_COST_GOAL = 0.05;
const PHASES = ['logout', 'read', 'login', 'refresh', 'ssf'] as const;

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
  rounds: numberFromEnv('BENCH_ROUNDS', 3),
  phases: phasesFromEnv(),
  serviceEnv: serviceEnvFromEnv(),
};

/** The phases compared with the floor. */
type Phase = keyof typeof TARGETS;
type AnyPhase = (typeof PHASES)[number];

function phasesFromEnv(): AnyPhase[] {
  const raw = process.env.BENCH_PHASES?.trim() || PHASES.join(',');
  const phases = raw.split(',').map((phase) => phase.trim());
  const unknown = phases.filter((phase) => !(PHASES as readonly string[]).includes(phase));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')}`);
  return phases as AnyPhase[];
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

/** The run with the median 2xx/s of several rounds. */
function medianRun<T>(runs: readonly T[], rate: (run: T) => number): T {
  const sorted = [...runs].sort((a, b) => rate(a) - rate(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function measureLogout(
  db: Client,
  meter: CpuMeter,
  key: ServiceSigningKey,
  userIds: readonly string[],
  target: Target,
  label: string = target.name,
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
    const warm = await seedTokenBatch(db, key, userIds, 10_000, `${label}-warmup`);
    const tokens = rotating(warm.tokens);
    log(`${label} logout: warm-up ${settings.warmupSeconds}s`);
    const warmup = await runLoad({
      ...base,
      title: `${label} logout warm-up`,
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
  const batch: TokenBatch = await seedTokenBatch(db, key, userIds, seeded, label);
  log(
    `${label} logout: seeded ${seeded} sessions + tokens in ${Date.now() - started} ms; ` +
      `measuring ${settings.durationSeconds}s`,
  );
  const tokens = rotating(batch.tokens);
  const stats = await measured(meter, target, {
    ...base,
    title: `${label} logout`,
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

/** Reads rotate over `tokens` (live sessions of many users), as the shared yardstick's do. */
async function measureRead(
  meter: CpuMeter,
  target: Target,
  tokens: readonly string[],
): Promise<LoadStats> {
  let next = 0;
  const base = {
    baseUrl: target.baseUrl,
    method: 'GET' as const,
    path: '/auth/me',
    connections: settings.connections,
    nextToken: () => tokens[next++ % tokens.length],
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

interface LoginResult {
  stats: LoadStats;
  /** argon2 verifications per second this machine does with the stored hash's parameters. */
  argon2PerSecond: number;
  /** Logins per second ÷ verifications per second: near 1, the hash is the limit. */
  ofArgon2: number;
}

/** Logins spread over the seeded users (successes only: the login limits never apply). */
async function measureLogin(
  db: Client,
  meter: CpuMeter,
  target: Target,
  password: string,
): Promise<LoginResult> {
  const emails = await seededEmails(db);
  let next = 0;
  const base = {
    baseUrl: target.baseUrl,
    method: 'POST' as const,
    path: '/auth/login',
    connections: settings.connections,
    nextBody: () => JSON.stringify({ email: emails[next++ % emails.length], password }),
  };
  if (settings.warmupSeconds > 0) {
    log(`login: warm-up ${settings.warmupSeconds}s`);
    await runLoad({ ...base, title: 'login warm-up', durationSeconds: settings.warmupSeconds });
  }
  log(`login: measuring ${settings.durationSeconds}s`);
  const stats = await measured(meter, target, {
    ...base,
    title: 'service login',
    durationSeconds: settings.durationSeconds,
  });
  log(`argon2: measuring the raw verification rate for ${settings.durationSeconds}s`);
  const argon2PerSecond = await argon2VerifyRate(
    await passwordHashOf(db, emails[0]),
    password,
    settings.durationSeconds,
  );
  return { stats, argon2PerSecond, ofArgon2: stats.successesPerSecond / argon2PerSecond };
}

interface RefreshResult {
  stats: LoadStats;
  seeded: number;
  exhausted: boolean;
}

/** Each request rotates a distinct live refresh token (single use: a reused one would be 401). */
async function measureRefresh(
  db: Client,
  meter: CpuMeter,
  target: Target,
  userIds: readonly string[],
): Promise<RefreshResult> {
  const base = {
    baseUrl: target.baseUrl,
    method: 'POST' as const,
    path: '/auth/refresh',
    connections: settings.connections,
  };
  const body = (token: string) => JSON.stringify({ refreshToken: token });
  let seeded = settings.sessionsOverride ?? 200_000;
  if (settings.warmupSeconds > 0) {
    const warm = once(await seedRefreshTokens(db, userIds, 10_000));
    log(`refresh: warm-up ${settings.warmupSeconds}s`);
    const warmup = await runLoad({
      ...base,
      title: 'refresh warm-up',
      durationSeconds: settings.warmupSeconds,
      nextBody: () => body(warm.next()),
    });
    seeded =
      settings.sessionsOverride ??
      Math.max(20_000, Math.ceil(warmup.requestsPerSecondMax * settings.durationSeconds * 3));
  }
  const tokens = once(await seedRefreshTokens(db, userIds, seeded));
  log(`refresh: seeded ${seeded} refresh tokens; measuring ${settings.durationSeconds}s`);
  const stats = await measured(meter, target, {
    ...base,
    title: 'service refresh',
    durationSeconds: settings.durationSeconds,
    nextBody: () => body(tokens.next()),
  });
  return { stats, seeded, exhausted: tokens.state.exhausted };
}

interface SsfCostResult {
  none: LoadStats[];
  receivers: LoadStats[];
  /** 1 − median 2xx/s with receivers ÷ without. */
  throughputCost: number;
  /** Median service + PostgreSQL CPU per logout with receivers ÷ without, − 1. */
  cpuCost: number;
  pushed: number;
  acknowledged: number;
  /** Deliveries still undelivered as each receivers run ended, by method: did delivery keep up? */
  backlog: { push: number; poll: number }[];
}

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const cpuOf = (stats: LoadStats) =>
  (stats.cpuPerRequest?.serverMs ?? 0) + (stats.cpuPerRequest?.postgresMs ?? 0);

/**
 * Issue 10's cost: logout runs without any receiver (streams disabled) and with one poll
 * stream (drained by a receiver in this process) and one push stream (to the local sink),
 * interleaved. The streams exist from before the first ending, so no back-fill is counted.
 */
async function measureSsfCost(
  db: Client,
  meter: CpuMeter,
  key: ServiceSigningKey,
  userIds: readonly string[],
  target: Target,
  sink: PushSink,
  streams: Receivers,
): Promise<SsfCostResult> {
  const none: LoadStats[] = [];
  const receivers: LoadStats[] = [];
  const pushedBefore = sink.received;
  const backlog: { push: number; poll: number }[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    for (const withReceivers of round % 2 === 0 ? [false, true] : [true, false]) {
      if (withReceivers) await streams.enable();
      const label = withReceivers ? 'ssf-receivers' : 'ssf-none';
      const run = await measureLogout(db, meter, key, userIds, target, `${label}-${round + 1}`);
      (withReceivers ? receivers : none).push(run.stats);
      if (withReceivers) backlog.push(await undelivered(db));
      if (withReceivers) await streams.disable();
      log(`ssf round ${round + 1} ${label}: ${run.stats.successesPerSecond.toFixed(0)} logouts/s`);
    }
  }
  const rate = (runs: LoadStats[]) => median(runs.map((run) => run.successesPerSecond));
  const cpu = (runs: LoadStats[]) => median(runs.map(cpuOf));
  return {
    none,
    receivers,
    throughputCost: 1 - rate(receivers) / rate(none),
    cpuCost: cpu(receivers) / cpu(none) - 1,
    pushed: sink.received - pushedBefore,
    acknowledged: streams.acknowledged,
    backlog,
  };
}

/**
 * Deliveries not yet delivered, by method. Work left queued is CPU the measured run did not
 * pay for, so a cost figure only stands when delivery kept up.
 */
async function undelivered(db: Client): Promise<{ push: number; poll: number }> {
  const { rows } = await db.query<{ push: number; poll: number }>(
    `SELECT count(*) FILTER (WHERE s.delivery_method <> 'urn:ietf:rfc:8936')::int AS push,
       count(*) FILTER (WHERE s.delivery_method = 'urn:ietf:rfc:8936')::int AS poll
     FROM security_event_deliveries d JOIN ssf_streams s ON s.id = d.stream_id
     WHERE d.delivered_at IS NULL`,
  );
  return rows[0];
}

function reportServiceOnly(
  login: LoginResult | undefined,
  refresh: RefreshResult | undefined,
  ssf: SsfCostResult | undefined,
): void {
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(3));
  const rows = [
    ['service only', 'req/s', 'p50', 'p99', 'err/non2xx', 'server CPU ms', 'postgres CPU ms', ''],
  ];
  const row = (name: string, stats: LoadStats, note: string) =>
    rows.push([
      name,
      stats.successesPerSecond.toFixed(0),
      `${stats.latencyP50Ms.toFixed(1)} ms`,
      `${stats.latencyP99Ms.toFixed(1)} ms`,
      `${stats.errors + stats.timeouts}/${stats.non2xx}`,
      ms(stats.cpuPerRequest?.serverMs),
      ms(stats.cpuPerRequest?.postgresMs),
      note,
    ]);
  if (login) {
    row(
      'login',
      login.stats,
      `argon2 alone: ${login.argon2PerSecond.toFixed(0)} verifications/s → login = ` +
        `${login.ofArgon2.toFixed(2)} × the hash rate`,
    );
  }
  if (refresh) {
    row(
      'refresh',
      refresh.stats,
      refresh.exhausted ? 'RAN OUT of fresh refresh tokens' : 'each rotated a distinct token',
    );
  }
  if (rows.length > 1) {
    console.log('');
    printTable(rows);
  }
  if (!ssf) return;
  const rates = (runs: LoadStats[]) => runs.map((run) => run.successesPerSecond.toFixed(0));
  console.log('');
  printTable([
    ['logout (issue 10)', 'rounds (2xx/s)', 'median 2xx/s', 'median CPU ms/logout (svc+pg)'],
    [
      'no receiver',
      rates(ssf.none).join(', '),
      median(ssf.none.map((run) => run.successesPerSecond)).toFixed(0),
      median(ssf.none.map(cpuOf)).toFixed(3),
    ],
    [
      'poll + push receivers',
      rates(ssf.receivers).join(', '),
      median(ssf.receivers.map((run) => run.successesPerSecond)).toFixed(0),
      median(ssf.receivers.map(cpuOf)).toFixed(3),
    ],
  ]);
  console.log(
    `  cost of delivery: throughput ${(ssf.throughputCost * 100).toFixed(1)} %, CPU per logout ` +
      `${(ssf.cpuCost * 100).toFixed(1)} % (goal < ${SSF_COST_GOAL * 100} %); ` +
      `${ssf.pushed} SETs pushed, ${ssf.acknowledged} acknowledged by the poller`,
  );
  console.log(
    '  undelivered as each receivers run ended (push/poll): ' +
      ssf.backlog.map((left) => `${left.push}/${left.poll}`).join(', '),
  );
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
  for (const comparison of comparisons) {
    const rounds = (stats: LoadStats) => stats.rounds?.map((rate) => rate.toFixed(0)).join(', ');
    console.log(
      `  ${comparison.phase}: median of ${settings.rounds} interleaved round(s); service ` +
        `${rounds(comparison.service)}, floor ${rounds(comparison.floor)} (2xx/s)`,
    );
  }
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
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  // The push receiver of the ssf phase; the service is configured for it in every phase, so
  // runs with and without receivers differ only in the streams.
  const sink = await PushSink.start();
  onCleanUp(() => sink.stop());
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
      ...ssfServiceEnv(serviceUrl, sink),
      ...settings.serviceEnv,
    },
    join(RESULTS_DIR, 'service.log'),
  );
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
  // Before any session ends: a stream created later would be back-filled with those endings.
  const streams = await Receivers.create(serviceUrl, sink);
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
  // Interleaved rounds (service, floor, then floor, service, ...), as the shared yardstick
  // runs them: a machine getting busier during the run weighs on both sides alike.
  const inRounds = async <T>(measure: (target: Target) => Promise<T>) => {
    const runs: Record<string, T[]> = { service: [], floor: [] };
    for (let round = 0; round < settings.rounds; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        runs[target.name].push(await measure(target));
      }
    }
    return runs;
  };
  if (settings.phases.includes('logout')) {
    const runs = await inRounds((target) => measureLogout(db, meter, key, userIds, target));
    for (const [name, list] of Object.entries(runs)) {
      logoutRuns[name] = medianRun(list, (run) => run.stats.successesPerSecond);
      logoutRuns[name].stats.rounds = list.map((run) => run.stats.successesPerSecond);
    }
    comparisons.push(compare('logout', logoutRuns.service.stats, logoutRuns.floor.stats));
  }
  if (settings.phases.includes('read')) {
    const readTokens = (await seedTokenBatch(db, key, userIds, READ_SESSIONS, 'read')).tokens;
    const runs = await inRounds((target) => measureRead(meter, target, readTokens));
    for (const [name, list] of Object.entries(runs)) {
      reads[name] = medianRun(list, (run) => run.successesPerSecond);
      reads[name].rounds = list.map((run) => run.successesPerSecond);
    }
    comparisons.push(compare('read', reads.service, reads.floor));
  }
  const serviceTarget = targets[0];
  const loginResult = settings.phases.includes('login')
    ? await measureLogin(db, meter, serviceTarget, credentials.password)
    : undefined;
  const refreshResult = settings.phases.includes('refresh')
    ? await measureRefresh(db, meter, serviceTarget, userIds)
    : undefined;
  const ssfResult = settings.phases.includes('ssf')
    ? await measureSsfCost(db, meter, key, userIds, serviceTarget, sink, streams)
    : undefined;

  // The read token's session must have stayed live through the whole run.
  await call(serviceUrl, 'GET', '/auth/me', 200, { token: login.accessToken });

  if (comparisons.length > 0) report(comparisons, logoutRuns);
  reportServiceOnly(loginResult, refreshResult, ssfResult);
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
    login: loginResult,
    refresh: refreshResult,
    ssf: ssfResult,
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
