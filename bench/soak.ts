/**
 * `npm run soak`: a bounded soak of two service instances (`node dist/main.js`) sharing one
 * fresh PostgreSQL database and one Redis, behind a round-robin client that alternates
 * requests between them. Many virtual users log in, refresh (rotating), read /auth/me and
 * /auth/sessions, log out with a random scope and log in again. Midway a fault is injected
 * through a TCP proxy in front of Redis (or PostgreSQL): every connection is cut and new
 * ones refused for a while, then restored. Afterwards the run is checked against the
 * database and a report is printed and written to bench/results/soak.json.
 *
 * Environment (all optional):
 *   SOAK_DURATION        traffic duration: 90s, 3m, 180 (3m)
 *   SOAK_USERS           virtual users (300)
 *   SOAK_SESSIONS        sessions (devices) per user (3)
 *   SOAK_CONCURRENCY     requests in flight (32)
 *   SOAK_FAULT           redis | postgres | none (redis)
 *   SOAK_FAULT_MODE      refuse (reset every connection) | blackhole (hold them, never answer) (refuse)
 *   SOAK_FAULT_DURATION  how long the fault lasts (15s for redis, 10s for postgres)
 *   SOAK_FAULT_AT        when it starts, as a fraction of the duration (0.45)
 *   SOAK_RECOVERY_GRACE  after the restore, still counted as the fault window (2s)
 *   SOAK_LOGOUT_RATE     probability that a round of a session ends with a logout (0.1)
 *   SOAK_RSS_SLOPE_MAX   RSS growth over the last third that counts as "still growing", MB/min (5)
 *   SOAK_HEAP_GROWTH_MAX growth of the heap left after a full GC, idle after the traffic
 *                        against the start of the steady phase, that counts as a leak, MB (5)
 *   SOAK_FORCE_GC=0      do not force a full GC before every third memory sample (see soak-memory.ts)
 *   SOAK_LOG_LEVEL       the instances' LOG_LEVEL (info)
 *   SOAK_PG_URL          server to create the database on (postgres://postgres@127.0.0.1:5432)
 *   SOAK_REDIS_URL       Redis (redis://127.0.0.1:6379)
 *   SOAK_SKIP_BUILD=1    use the existing dist/
 *
 * Exit code 0 whether or not the checks pass (read the PASS/FAIL lines); 1 when the soak
 * itself broke (start-up failed, an instance died, no traffic).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { FaultProxy } from '../test/utils/fault-proxy';
import { instance, type ResponseRecord, SoakHttp } from './soak-http';
import { GC_ON_SIGNAL_ARGS, type MemorySample, MemorySampler } from './soak-memory';
import {
  type Child,
  cleanUp,
  freePort,
  logTail,
  onCleanUp,
  ROOT,
  startChild,
  waitForReady,
} from './child-process';
import {
  forEachLimited,
  mb,
  parseDurationMs,
  percentile,
  printTable,
  sample,
  slope,
} from './stats';
import { type HeldSession, PASSWORD, type SoakUser, Traffic } from './soak-traffic';
import { numberFromEnv } from './env';

const RESULTS_DIR = join(ROOT, 'bench', 'results');
const FAULT_KINDS = ['redis', 'postgres', 'none'] as const;
const FAULT_MODES = ['refuse', 'blackhole'] as const;
type FaultKind = (typeof FAULT_KINDS)[number];
type FaultMode = (typeof FAULT_MODES)[number];

function log(message: string): void {
  console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function choiceFromEnv<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = process.env[name]?.trim().toLowerCase() || fallback;
  const choice = choices.find((known) => known === raw);
  if (!choice) throw new Error(`${name} must be one of ${choices.join(', ')} (got "${raw}")`);
  return choice;
}

function durationFromEnv(name: string, fallback: string): number {
  return parseDurationMs(process.env[name]?.trim() || fallback, name);
}

function readSettings() {
  const fault = choiceFromEnv<FaultKind>('SOAK_FAULT', FAULT_KINDS, 'redis');
  return {
    durationMs: durationFromEnv('SOAK_DURATION', '3m'),
    users: numberFromEnv('SOAK_USERS', 300, 1, 100_000),
    sessionsPerUser: numberFromEnv('SOAK_SESSIONS', 3, 1, 9),
    concurrency: numberFromEnv('SOAK_CONCURRENCY', 32, 1, 1_000),
    fault,
    faultMode: choiceFromEnv<FaultMode>('SOAK_FAULT_MODE', FAULT_MODES, 'refuse'),
    faultMs: durationFromEnv('SOAK_FAULT_DURATION', fault === 'postgres' ? '10s' : '15s'),
    faultAt: numberFromEnv('SOAK_FAULT_AT', 0.45, 0, 1),
    recoveryGraceMs: durationFromEnv('SOAK_RECOVERY_GRACE', '2s'),
    logoutRate: numberFromEnv('SOAK_LOGOUT_RATE', 0.1, 0, 1),
    rssSlopeMaxMbPerMin: numberFromEnv('SOAK_RSS_SLOPE_MAX', 5, 0),
    heapGrowthMaxMb: numberFromEnv('SOAK_HEAP_GROWTH_MAX', 5, 0),
    forceGc: process.env.SOAK_FORCE_GC !== '0',
    logLevel: process.env.SOAK_LOG_LEVEL?.trim() || 'info',
    pgUrl: process.env.SOAK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432',
    redisUrl: process.env.SOAK_REDIS_URL ?? 'redis://127.0.0.1:6379',
    skipBuild: process.env.SOAK_SKIP_BUILD === '1',
  };
}

type Settings = ReturnType<typeof readSettings>;

interface FaultWindow {
  kind: FaultKind;
  mode: FaultMode;
  plannedAtMs: number;
  plannedMs: number;
  /** Soak time of the cut and of the restore. */
  cutAt?: number;
  restoredAt?: number;
}

interface Check {
  name: string;
  /** `null`: informative, not a pass/fail criterion. */
  pass: boolean | null;
  detail: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function withPath(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

// ---------------------------------------------------------------------------------------
// Set-up

async function createUsers(
  db: Client,
  baseUrl: string,
  count: number,
  sessionsPerUser: number,
): Promise<SoakUser[]> {
  // One user through the API (a real argon2 hash); the others share it, inserted in one statement.
  const response = await fetch(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'soak-0@soak.invalid', password: PASSWORD }),
  });
  if (response.status !== 201) {
    throw new Error(`register: expected 201, got ${response.status}: ${await response.text()}`);
  }
  const { id } = (await response.json()) as { id: string };
  await db.query(
    `INSERT INTO users (email, password_hash, roles)
     SELECT 'soak-' || g || '@soak.invalid', u.password_hash, '{}'
     FROM generate_series(1, $2::int - 1) g, users u WHERE u.id = $1`,
    [id, count],
  );
  const { rows } = await db.query<{ id: string; email: string }>(
    `SELECT id, email FROM users WHERE email LIKE 'soak-%@soak.invalid'`,
  );
  const users = rows
    .map((row) => {
      const index = Number(/^soak-(\d+)@/.exec(row.email)?.[1]);
      const n = index + 1;
      const user: SoakUser = {
        index,
        id: row.id,
        email: row.email,
        ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        logins: [],
        slots: [],
      };
      user.slots = Array.from({ length: sessionsPerUser }, (_, slot) => ({ user, index: slot }));
      return user;
    })
    .sort((a, b) => a.index - b.index);
  if (users.length !== count) throw new Error(`expected ${count} users, found ${users.length}`);
  return users;
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------
// Analysis

function inWindow(record: ResponseRecord, fault: FaultWindow, graceMs: number): boolean {
  if (fault.cutAt === undefined) return false;
  const end = (fault.restoredAt ?? Infinity) + graceMs;
  return record.start < end && record.start + record.ms >= fault.cutAt;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function statusSummary(records: readonly ResponseRecord[]): string {
  return Object.entries(countBy(records, (record) => String(record.status)))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status === '0' ? 'no-answer' : status}:${count}`)
    .join(' ');
}

interface RouteStats {
  route: string;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
}

function routeStats(records: readonly ResponseRecord[], seconds: number): RouteStats[] {
  const byRoute = new Map<string, ResponseRecord[]>();
  for (const record of records) {
    const list = byRoute.get(record.route) ?? [];
    list.push(record);
    byRoute.set(record.route, list);
  }
  const all = ['(all)', records] as const;
  return [...[...byRoute.entries()].sort(([a], [b]) => a.localeCompare(b)), all].map(
    ([route, list]) => {
      const durations = list.map((record) => record.ms).sort((a, b) => a - b);
      return {
        route,
        requests: list.length,
        perSecond: list.length / seconds,
        p50Ms: percentile(durations, 50),
        p99Ms: percentile(durations, 99),
        maxMs: durations.at(-1) ?? 0,
        statuses: countBy(list, (record) => String(record.status)),
      };
    },
  );
}

interface MemoryReport {
  instance: string;
  /** Before the login ramp-up. */
  beforeTraffic?: MemorySample;
  /** At the start of the steady phase (after the ramp-up), its middle and its end. */
  start?: MemorySample;
  middle?: MemorySample;
  end?: MemorySample;
  /** Samples right after a forced full GC: at the start of the steady phase, its middle, and once the traffic has stopped. */
  startAfterGc?: MemorySample;
  middleAfterGc?: MemorySample;
  idleAfterGc?: MemorySample;
  /** MB per minute over the last third of the steady phase (samples during traffic only). */
  rssSlopeMbPerMin?: number;
  heapTotalSlopeMbPerMin?: number;
  /** RSS minus the V8 heap: native memory (buffers, malloc arenas, argon2, code). */
  nonHeapSlopeMbPerMin?: number;
  heapAfterGcSlopeMbPerMin?: number;
  /** Heap left after a full GC once idle, minus the same at the start of the steady phase. */
  retainedHeapGrowthBytes?: number;
  lastThirdSamples: number;
  /**
   * `flat`; `heap-sizing` when RSS rose only because V8 enlarged its heap (native memory and
   * the heap left after a GC flat, RSS back near its start once idle); otherwise `growing`.
   */
  rss: 'flat' | 'heap-sizing' | 'growing' | 'unknown';
  heapGrowing: boolean | null;
}

function memoryReport(
  name: string,
  samples: readonly MemorySample[],
  steadyStart: number,
  trafficEnd: number,
  limits: { rssMbPerMin: number; retainedHeapMb: number },
): MemoryReport {
  const nearest = (t: number, list: readonly MemorySample[]) =>
    [...list].sort((a, b) => Math.abs(a.t - t) - Math.abs(b.t - t))[0];
  const during = samples.filter((item) => item.t <= trafficEnd);
  const afterGc = during.filter((item) => item.afterGc);
  const middleAt = (steadyStart + trafficEnd) / 2;
  const lastThirdFrom = steadyStart + ((trafficEnd - steadyStart) * 2) / 3;
  const lastThird = during.filter((item) => item.t >= lastThirdFrom);
  const perMinute = (
    list: readonly MemorySample[],
    value: (item: MemorySample) => number | undefined,
  ) => {
    const points = list
      .map((item) => ({ x: item.t, y: value(item) }))
      .filter((point): point is { x: number; y: number } => point.y !== undefined);
    const result = slope(points);
    return result === undefined ? undefined : (result * 60_000) / 1_048_576;
  };
  const rssSlope = perMinute(lastThird, (item) => item.rssBytes);
  const nonHeapSlope = perMinute(lastThird, (item) =>
    item.rssBytes !== undefined && item.heapTotalBytes !== undefined
      ? item.rssBytes - item.heapTotalBytes
      : undefined,
  );
  const startAfterGc = afterGc.length > 0 ? nearest(steadyStart, afterGc) : undefined;
  const idle = samples.filter((item) => item.t > trafficEnd && item.afterGc).at(-1);
  const retained =
    startAfterGc?.heapUsedBytes !== undefined && idle?.heapUsedBytes !== undefined
      ? idle.heapUsedBytes - startAfterGc.heapUsedBytes
      : undefined;
  return {
    instance: name,
    beforeTraffic: samples[0],
    start: nearest(steadyStart, during),
    middle: nearest(middleAt, during),
    end: during.at(-1),
    startAfterGc,
    middleAfterGc: afterGc.length > 0 ? nearest(middleAt, afterGc) : undefined,
    idleAfterGc: idle,
    rssSlopeMbPerMin: rssSlope,
    heapTotalSlopeMbPerMin: perMinute(lastThird, (item) => item.heapTotalBytes),
    nonHeapSlopeMbPerMin: nonHeapSlope,
    heapAfterGcSlopeMbPerMin: perMinute(
      lastThird.filter((item) => item.afterGc),
      (item) => item.heapUsedBytes,
    ),
    retainedHeapGrowthBytes: retained,
    lastThirdSamples: lastThird.length,
    rss: rssVerdict(),
    heapGrowing: heapGrowing(),
  };

  function heapGrowing(): boolean | null {
    return retained === undefined ? null : retained > limits.retainedHeapMb * 1_048_576;
  }

  function rssVerdict(): MemoryReport['rss'] {
    if (rssSlope === undefined) return 'unknown';
    if (rssSlope <= limits.rssMbPerMin) return 'flat';
    const start = nearest(steadyStart, during)?.rssBytes;
    const settled =
      start !== undefined &&
      idle?.rssBytes !== undefined &&
      idle.rssBytes <= start + limits.rssMbPerMin * 1_048_576;
    return nonHeapSlope !== undefined &&
      nonHeapSlope <= limits.rssMbPerMin &&
      heapGrowing() === false &&
      settled
      ? 'heap-sizing'
      : 'growing';
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<boolean> {
  const settings: Settings = readSettings();
  const startedAt = new Date();
  const loadBefore = loadavg();
  const runId = `soak${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  let broke = false;

  if (!settings.skipBuild) {
    log('npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.status})`);
  }

  const dbName = `soak_${runId}`;
  const databaseUrl = withPath(settings.pgUrl, dbName);
  const admin = new Client({ connectionString: withPath(settings.pgUrl, 'postgres') });
  await admin.connect();
  onCleanUp(() => admin.end());
  await admin.query(`CREATE DATABASE ${dbName}`);
  onCleanUp(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    log(`dropped database ${dbName}`);
  });
  log(`created database ${dbName}`);

  // Both instances reach Redis and PostgreSQL through proxies, so either can be cut.
  const redisProxy = await FaultProxy.forUrl(settings.redisUrl, 6379);
  onCleanUp(() => redisProxy.close());
  const pgProxy = await FaultProxy.forUrl(settings.pgUrl, 5432);
  onCleanUp(() => pgProxy.close());
  const prefix = `${runId}:`;
  // Registered before the instances: runs after they have stopped.
  onCleanUp(async () => {
    const deleted = await deleteRedisKeys(settings.redisUrl, prefix);
    log(`deleted ${deleted} Redis keys under ${prefix}`);
  });

  const names = ['A', 'B'];
  const ports = [await freePort(), await freePort()];
  const children: Child[] = names.map((name, index) =>
    startChild(
      `instance ${name}`,
      [...(settings.forceGc ? GC_ON_SIGNAL_ARGS : []), 'dist/main.js'],
      {
        NODE_ENV: 'production',
        PORT: String(ports[index]),
        DATABASE_URL: pgProxy.rewrite(databaseUrl),
        REDIS_URL: redisProxy.rewrite(settings.redisUrl),
        REDIS_KEY_PREFIX: prefix,
        LOGOUT_RATE_LIMIT: '100',
        TRUST_PROXY: 'true',
        LOG_LEVEL: settings.logLevel,
      },
      join(RESULTS_DIR, `soak-${name}.log`),
    ),
  );
  const instances = names.map((name, index) => instance(name, ports[index]));
  await Promise.all(children.map((child, index) => waitForReady(child, instances[index].baseUrl)));
  log(
    `instances up: ${children.map((child, index) => `${child.name} pid ${child.pid} on ${instances[index].baseUrl}`).join(', ')}`,
  );

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  onCleanUp(() => db.end());
  const users = await createUsers(
    db,
    instances[0].baseUrl,
    settings.users,
    settings.sessionsPerUser,
  );
  log(`${users.length} users × ${settings.sessionsPerUser} sessions`);

  // ---- traffic, with the fault midway ------------------------------------------------
  const origin = Date.now();
  const http = new SoakHttp(instances, runId, origin);
  onCleanUp(() => http.close());
  const sampler = new MemorySampler(
    children.map((child, index) => ({ pid: child.pid, baseUrl: instances[index].baseUrl })),
    () => http.now(),
    { intervalMs: 5_000, gcEvery: settings.forceGc ? 3 : 0 },
  );
  await sampler.sampleNow(settings.forceGc);
  sampler.start();

  const traffic = new Traffic({
    http,
    users,
    concurrency: settings.concurrency,
    logoutProbability: settings.logoutRate,
    sessionsProbability: 0.5,
  });
  log(
    `ramp-up: ${users.length * settings.sessionsPerUser} logins, ${settings.concurrency} in flight`,
  );
  await traffic.rampUp();
  const steadyStart = http.now();
  const rampLogins = http.records.filter((record) => record.route === 'login');
  log(
    `ramp-up done in ${(steadyStart / 1000).toFixed(1)}s: ${statusSummary(rampLogins)} ` +
      `(${(rampLogins.length / (steadyStart / 1000)).toFixed(1)} logins/s)`,
  );
  await sampler.sampleNow(settings.forceGc);

  const fault: FaultWindow = {
    kind: settings.fault,
    mode: settings.faultMode,
    plannedAtMs: steadyStart + Math.round(settings.durationMs * settings.faultAt),
    plannedMs: settings.faultMs,
  };
  const proxy = settings.fault === 'redis' ? redisProxy : pgProxy;
  const timers: NodeJS.Timeout[] = [];
  const restore = () => {
    if (fault.cutAt === undefined || fault.restoredAt !== undefined) return;
    proxy.restore();
    fault.restoredAt = http.now();
    log(`fault: ${settings.fault} restored at ${(fault.restoredAt / 1000).toFixed(1)}s`);
  };
  if (settings.fault !== 'none') {
    if (fault.plannedAtMs + fault.plannedMs > steadyStart + settings.durationMs) {
      log('warning: the fault does not end before the traffic does (SOAK_DURATION is short)');
    }
    timers.push(
      setTimeout(() => {
        if (settings.faultMode === 'refuse') proxy.refuse();
        else proxy.blackhole();
        fault.cutAt = http.now();
        log(
          `fault: ${settings.fault} cut (${settings.faultMode}) at ${(fault.cutAt / 1000).toFixed(1)}s ` +
            `for ${settings.faultMs / 1000}s`,
        );
        timers.push(setTimeout(restore, settings.faultMs));
      }, fault.plannedAtMs - http.now()),
    );
  }
  let lastCount = 0;
  timers.push(
    setInterval(() => {
      const records = http.records;
      const fresh = records.slice(lastCount);
      lastCount = records.length;
      const failed = fresh.filter((record) => record.status >= 500 || record.status === 0).length;
      log(
        `t=${(http.now() / 1000).toFixed(0)}s ${records.length} requests, ` +
          `${(fresh.length / 15).toFixed(0)} req/s, ${failed} 5xx/no-answer in the last 15s`,
      );
    }, 15_000),
  );

  log(
    `traffic for ${settings.durationMs / 1000}s, ${settings.concurrency} in flight; ` +
      `fault ${settings.fault} at ${(fault.plannedAtMs / 1000).toFixed(0)}s`,
  );
  await traffic.run(steadyStart + settings.durationMs);
  const trafficMs = http.now();
  for (const timer of timers) clearTimeout(timer);
  restore();
  log(`traffic stopped at ${(trafficMs / 1000).toFixed(1)}s: ${http.records.length} requests`);
  // Idle long enough for the keep-alive sockets to close before the last (post-GC) sample.
  await sleep(3_000);
  await sampler.stop();

  const dead = children.filter((child) => child.exitCode !== undefined);
  if (dead.length > 0) {
    broke = true;
    for (const child of dead) {
      console.error(`${child.name} exited (${child.exitCode}) during the soak:\n${logTail(child)}`);
    }
  }
  if (http.records.length === 0) {
    broke = true;
    console.error('no traffic was recorded');
  }

  // ---- verification -------------------------------------------------------------------
  const checks: Check[] = [];
  const records = http.records;
  const window = (record: ResponseRecord) => inWindow(record, fault, settings.recoveryGraceMs);
  const failed = (record: ResponseRecord) => record.status >= 500;
  const unanswered = (record: ResponseRecord) => record.status === 0;

  const outside5xx = records.filter((record) => failed(record) && !window(record));
  const outsideUnanswered = records.filter((record) => unanswered(record) && !window(record));
  const inside5xx = records.filter((record) => failed(record) && window(record));
  const insideUnanswered = records.filter((record) => unanswered(record) && window(record));
  const inside = records.filter(window);
  checks.push({
    name: 'no 5xx outside the fault window',
    pass: outside5xx.length === 0,
    detail:
      outside5xx.length === 0
        ? `0 of ${records.length - inside.length} requests outside the window`
        : `${outside5xx.length}: ${outside5xx
            .slice(0, 10)
            .map(
              (r) =>
                `${r.route}@${names[r.instance]} ${r.status} t=${(r.start / 1000).toFixed(1)}s`,
            )
            .join(', ')}`,
  });
  checks.push({
    name: 'every request outside the fault window answered (no reset/timeout)',
    pass: outsideUnanswered.length === 0,
    detail:
      outsideUnanswered.length === 0
        ? 'none unanswered'
        : `${outsideUnanswered.length}: ${outsideUnanswered
            .slice(0, 10)
            .map(
              (r) => `${r.route}@${names[r.instance]} ${r.error} t=${(r.start / 1000).toFixed(1)}s`,
            )
            .join(', ')}`,
  });
  const non503 = inside5xx.filter((record) => record.status !== 503);
  checks.push({
    name: 'inside the fault window, 5xx are 503 only',
    pass: settings.fault === 'none' ? null : non503.length === 0 && insideUnanswered.length === 0,
    detail:
      settings.fault === 'none'
        ? 'no fault injected'
        : `${inside.length} requests in the window; 5xx by route: ${JSON.stringify(
            countBy(inside5xx, (r) => `${r.route} ${r.status}`),
          )}; unanswered: ${insideUnanswered.length}`,
  });

  // Audit: every 200 logout has exactly one logout success row, every 200 login one login row.
  const auditCheck = async (route: 'login' | 'logout') => {
    const ids = records
      .filter((record) => record.route === route && record.status === 200)
      .map((record) => record.requestId);
    const { rows } = await db.query<{ request_id: string; n: number }>(
      `SELECT request_id, count(*)::int AS n FROM audit_events
       WHERE action = $1 AND outcome = 'success' AND request_id = ANY($2::text[])
       GROUP BY request_id`,
      [route, ids],
    );
    const counts = new Map(rows.map((row) => [row.request_id, row.n]));
    const missing = ids.filter((id) => !counts.has(id));
    const duplicated = ids.filter((id) => (counts.get(id) ?? 0) > 1);
    const { rows: unanswered } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events
       WHERE action = $1 AND outcome = 'success' AND request_id LIKE $2
         AND NOT (request_id = ANY($3::text[]))`,
      [route, `${runId}-%`, ids],
    );
    checks.push({
      name: `every ${route} answered 200 has exactly one ${route} success audit event`,
      pass: missing.length === 0 && duplicated.length === 0,
      detail:
        `${ids.length} answered 200; ${missing.length} without an event, ` +
        `${duplicated.length} with several` +
        (missing.length > 0 ? ` (e.g. ${missing.slice(0, 5).join(', ')})` : '') +
        `; ${unanswered[0].n} success events for requests not answered 200 (committed but the answer failed)`,
    });
  };
  await auditCheck('logout');
  await auditCheck('login');

  // Ended sessions: their latest refresh tokens, as the client holds them, must all be refused.
  const { rows: endedRows } = await db.query<{ id: string; ended_at: Date; end_reason: string }>(
    'SELECT id, ended_at, end_reason FROM sessions WHERE ended_at IS NOT NULL',
  );
  const endedHeld = endedRows
    .map((row) => ({ row, held: traffic.sessions.get(row.id) }))
    .filter((item): item is { row: (typeof endedRows)[number]; held: HeldSession } =>
      Boolean(item.held),
    );
  const verifyHttp = new SoakHttp(instances, `${runId}v`, origin);
  const refreshResults: Record<string, number> = {};
  const refreshAccepted: string[] = [];
  let turn = 0;
  await forEachLimited(endedHeld, 16, async ({ held }) => {
    const result = await verifyHttp.send({
      method: 'POST',
      path: '/auth/refresh',
      route: 'verify-refresh',
      body: { refreshToken: held.refreshToken },
      instance: turn++ % instances.length,
    });
    refreshResults[result.status] = (refreshResults[result.status] ?? 0) + 1;
    if (result.status !== 401) refreshAccepted.push(`${held.id}: ${result.status}`);
  });
  checks.push({
    name: "ended sessions' latest refresh tokens are refused (401) by POST /auth/refresh",
    pass: refreshAccepted.length === 0 && endedHeld.length > 0,
    detail:
      `${endedRows.length} sessions ended, ${endedHeld.length} with tokens the client holds; ` +
      `answers ${JSON.stringify(refreshResults)}` +
      (refreshAccepted.length > 0 ? `; not 401: ${refreshAccepted.slice(0, 10).join(', ')}` : ''),
  });
  const { rows: alive } = await db.query<{
    n: number;
    created_after_end: number;
  }>(
    `SELECT count(*)::int AS n,
            count(*) FILTER (WHERE rt.created_at >= s.ended_at)::int AS created_after_end
     FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
     WHERE s.ended_at IS NOT NULL AND rt.revoked_at IS NULL AND rt.retired_at IS NULL`,
  );
  const { rows: aliveExamples } = await db.query<{
    session_id: string;
    end_reason: string;
    ended_at: Date;
    created_at: Date;
    ended_by: string | null;
    ended_by_scope: string | null;
  }>(
    `SELECT rt.session_id, s.end_reason, s.ended_at, rt.created_at, a.request_id AS ended_by,
            a.scope AS ended_by_scope
     FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
     LEFT JOIN LATERAL (
       SELECT request_id, scope FROM audit_events
       WHERE action = 'logout' AND outcome = 'success' AND actor_user_id = s.user_id
         AND occurred_at = s.ended_at
       LIMIT 1) a ON true
     WHERE s.ended_at IS NOT NULL AND rt.revoked_at IS NULL AND rt.retired_at IS NULL
     ORDER BY s.ended_at LIMIT 5`,
  );
  // What the client saw around each: the logout that ended the session, and the session's requests.
  const soakTime = (date: Date) => `${((date.getTime() - origin) / 1000).toFixed(3)}s`;
  const describe = (record: ResponseRecord) =>
    `${record.route}@${names[record.instance]} ${record.status} sent ${(record.start / 1000).toFixed(3)}s ` +
    `answered ${((record.start + record.ms) / 1000).toFixed(3)}s`;
  const aliveEvidence = aliveExamples.map((row) => {
    const logout = records.find((record) => record.requestId === row.ended_by);
    const around = records.filter(
      (record) =>
        record.sessionId === row.session_id &&
        Math.abs(origin + record.start - row.ended_at.getTime()) < 5_000,
    );
    return {
      sessionId: row.session_id,
      endReason: row.end_reason,
      endedAt: soakTime(row.ended_at),
      tokenCreatedAt: soakTime(row.created_at),
      endedBy: logout
        ? `${describe(logout)} scope ${row.ended_by_scope}${logout.sessionId === row.session_id ? '' : ' (from a sibling session)'}`
        : row.ended_by,
      sessionRequests: around.map(describe),
    };
  });
  checks.push({
    name: 'refresh tokens neither revoked nor retired whose session has ended (SQL)',
    pass: null,
    detail:
      `${alive[0].n} (of which ${alive[0].created_after_end} created at or after the session's end)` +
      aliveEvidence
        .map(
          (item) =>
            `\n      session ${item.sessionId} ended at ${item.endedAt} (${item.endReason}) by ` +
            `${item.endedBy}; its live token was created at ${item.tokenCreatedAt}; ` +
            `its requests then: ${item.sessionRequests.join('; ')}`,
        )
        .join(''),
  });

  // Access tokens of ended sessions: refused by both instances. Half the sample, when there
  // are enough, from sessions that ended inside the fault window.
  const endedInWindow = endedHeld.filter(({ row }) => {
    const t = row.ended_at.getTime() - origin;
    return (
      fault.cutAt !== undefined &&
      t >= fault.cutAt &&
      t <= (fault.restoredAt ?? trafficMs) + settings.recoveryGraceMs
    );
  });
  const fromWindow = sample(endedInWindow, 25);
  const rest = sample(
    endedHeld.filter((item) => !fromWindow.includes(item)),
    50 - fromWindow.length,
  );
  const accessSample = [...fromWindow, ...rest];
  const accessResults: Record<string, number> = {};
  const accessAccepted: string[] = [];
  await forEachLimited(accessSample, 16, async ({ held }) => {
    for (let index = 0; index < instances.length; index++) {
      const result = await verifyHttp.send({
        method: 'GET',
        path: '/auth/me',
        route: 'verify-me',
        token: held.accessToken,
        instance: index,
      });
      accessResults[`${names[index]} ${result.status}`] =
        (accessResults[`${names[index]} ${result.status}`] ?? 0) + 1;
      if (result.status !== 401)
        accessAccepted.push(`${held.id}@${names[index]}: ${result.status}`);
    }
  });
  checks.push({
    name: 'access tokens of ended sessions are refused (401) on both instances',
    pass: accessAccepted.length === 0 && accessSample.length > 0,
    detail:
      `sample of ${accessSample.length} (${fromWindow.length} ended in the fault window); ` +
      `answers ${JSON.stringify(accessResults)}` +
      (accessAccepted.length > 0 ? `; accepted: ${accessAccepted.slice(0, 10).join(', ')}` : ''),
  });

  // Live, across instances: once the logout that ended a session has answered 200, no request
  // bearing one of the session's tokens may succeed. Which logout ended a session comes from
  // the database (its audit event has the session's ended_at), not from what the client guessed.
  const { rows: loggedOut } = await db.query<{ id: string; ended_by: string }>(
    `SELECT s.id, a.request_id AS ended_by
     FROM sessions s JOIN LATERAL (
       SELECT request_id FROM audit_events
       WHERE action = 'logout' AND outcome = 'success' AND actor_user_id = s.user_id
         AND occurred_at = s.ended_at
       LIMIT 1) a ON true
     WHERE s.end_reason = 'logout'`,
  );
  const byRequestId = new Map(records.map((record) => [record.requestId, record]));
  const logoutAnsweredAt = new Map<string, { at: number; by: ResponseRecord }>();
  for (const row of loggedOut) {
    const logout = byRequestId.get(row.ended_by);
    if (logout?.status === 200) {
      logoutAnsweredAt.set(row.id, { at: logout.start + logout.ms, by: logout });
    }
  }
  const afterLogout = records.filter((record) => {
    const ended = record.sessionId ? logoutAnsweredAt.get(record.sessionId) : undefined;
    if (ended === undefined || record.route === 'logout' || record.route === 'login') return false;
    // Times are whole milliseconds: a probe is sent after its logout's answer by construction,
    // any other request only when its clock says so strictly.
    return (
      record.start > ended.at ||
      (record.start === ended.at && record.route.endsWith('-after-logout'))
    );
  });
  const accepted = afterLogout.filter((record) => record.status >= 200 && record.status < 300);
  const probes = records.filter((record) => record.route.endsWith('-after-logout'));
  checks.push({
    name: 'no token accepted after the logout that ended its session answered 200 (live, both instances)',
    pass: accepted.length === 0,
    detail:
      `${afterLogout.length} requests on ${logoutAnsweredAt.size} logged-out sessions after their logout ` +
      `answered: ${statusSummary(afterLogout)}; post-logout probes on the other instance: ${statusSummary(probes)}` +
      (accepted.length > 0
        ? `; accepted e.g. ${accepted
            .slice(0, 5)
            .map((record) => {
              const ended = logoutAnsweredAt.get(record.sessionId!)!;
              return (
                `${describe(record)} session ${record.sessionId}, ended by ${describe(ended.by)}` +
                (window(record) ? ' (in the fault window)' : '')
              );
            })
            .join('; ')}`
        : ''),
  });

  // 401s and 409s a careful client should not see: explained by the database, or not.
  const anomalySessions = [
    ...new Set(traffic.anomalies.map((a) => a.sessionId).filter((id): id is string => !!id)),
  ];
  const { rows: anomalyRows } = await db.query<{
    id: string;
    ended_at: Date | null;
    end_reason: string | null;
  }>('SELECT id, ended_at, end_reason FROM sessions WHERE id = ANY($1::uuid[])', [anomalySessions]);
  const sessionRows = new Map(anomalyRows.map((row) => [row.id, row]));
  const explained: Record<string, number> = {};
  const unexplained: string[] = [];
  for (const anomaly of traffic.anomalies) {
    const row = anomaly.sessionId ? sessionRows.get(anomaly.sessionId) : undefined;
    // Ended by the time the answer came back (ended_at is taken before the ending commits).
    const endedBefore = row?.ended_at ? row.ended_at.getTime() <= origin + anomaly.end : false;
    let reason: string | undefined;
    if (anomaly.kind === 'unexpected-401' && endedBefore && row?.end_reason === 'logout') {
      // A sibling's global/others logout that committed before this request was answered.
      reason = 'ended by a concurrent logout of a sibling session';
    } else if (
      (anomaly.kind === 'unexpected-401' || anomaly.kind === 'refresh-409') &&
      anomaly.lastFailureAt !== undefined
    ) {
      reason = `after a failed request on the session (${row?.end_reason ?? 'live'})`;
    } else if (anomaly.kind === 'sessions-without-current' && endedBefore) {
      reason = 'session ended concurrently';
    }
    if (reason) explained[reason] = (explained[reason] ?? 0) + 1;
    else {
      unexplained.push(
        `${anomaly.kind} ${anomaly.route} t=${(anomaly.start / 1000).toFixed(2)}s session ` +
          `${anomaly.sessionId ?? '-'} (${row ? (row.end_reason ?? 'live') : 'unknown'}): ${anomaly.body ?? ''}`,
      );
    }
  }
  checks.push({
    name: 'no unexplained 401/409/4xx for a well-behaved client',
    pass: unexplained.length === 0,
    detail:
      `${traffic.anomalies.length} seen; explained: ${JSON.stringify(explained)}` +
      (unexplained.length > 0
        ? `; unexplained ${unexplained.length}: ${unexplained.slice(0, 8).join(' | ')}`
        : ''),
  });

  const { rows: endReasons } = await db.query<{ end_reason: string; n: number }>(
    `SELECT coalesce(end_reason, 'live') AS end_reason, count(*)::int AS n
     FROM sessions GROUP BY 1 ORDER BY 2 DESC`,
  );
  const { rows: auditActions } = await db.query<{ action: string; outcome: string; n: number }>(
    `SELECT action, outcome, count(*)::int AS n FROM audit_events GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const tooMany = countBy(
    records.filter((record) => record.status === 429),
    (record) => record.route,
  );
  checks.push({
    name: '429s (rate limits) are rare',
    pass: null,
    detail: `${JSON.stringify(tooMany)}; logouts skipped for the login budget: ${traffic.skippedLogoutsForBudget}`,
  });

  // Memory.
  const memory = sampler.samples.map((samples, index) =>
    memoryReport(names[index], samples, steadyStart, trafficMs, {
      rssMbPerMin: settings.rssSlopeMaxMbPerMin,
      retainedHeapMb: settings.heapGrowthMaxMb,
    }),
  );
  const fmt = (value?: number) => (value === undefined ? '-' : value.toFixed(2));
  for (const report of memory) {
    checks.push({
      name: `instance ${report.instance}: RSS not still growing over the last third`,
      pass: report.rss === 'flat' ? true : report.rss === 'growing' ? false : null,
      detail:
        (report.rss === 'heap-sizing'
          ? 'growing, but only because V8 enlarged its heap (native memory and the heap left after a GC ' +
            'are flat, and RSS fell back once idle): '
          : '') +
        `RSS start ${mb(report.start?.rssBytes)} / middle ${mb(report.middle?.rssBytes)} / end ${mb(report.end?.rssBytes)} ` +
        `(before the ramp-up ${mb(report.beforeTraffic?.rssBytes)}, idle after ${mb(report.idleAfterGc?.rssBytes)}); ` +
        `last-third slope ${fmt(report.rssSlopeMbPerMin)} MB/min over ${report.lastThirdSamples} samples ` +
        `(limit ${settings.rssSlopeMaxMbPerMin}), of which V8 heap total ${fmt(report.heapTotalSlopeMbPerMin)} MB/min ` +
        `and the rest (RSS − heap total) ${fmt(report.nonHeapSlopeMbPerMin)} MB/min`,
    });
    checks.push({
      name: `instance ${report.instance}: heap left after a full GC not growing (leak check)`,
      pass: report.heapGrowing === null ? null : !report.heapGrowing,
      detail: settings.forceGc
        ? `after a full GC: start ${mb(report.startAfterGc?.heapUsedBytes)} / middle ${mb(report.middleAfterGc?.heapUsedBytes)} / ` +
          `idle after the traffic ${mb(report.idleAfterGc?.heapUsedBytes)}: ` +
          `${report.retainedHeapGrowthBytes === undefined ? '-' : `${report.retainedHeapGrowthBytes >= 0 ? '+' : ''}${mb(report.retainedHeapGrowthBytes)}`} ` +
          `(limit ${settings.heapGrowthMaxMb} MB); during the last third ${fmt(report.heapAfterGcSlopeMbPerMin)} MB/min`
        : 'SOAK_FORCE_GC=0: not measured',
    });
  }
  checks.push({
    name: 'both instances stayed up',
    pass: dead.length === 0,
    detail: dead.length === 0 ? 'yes' : dead.map((child) => `${child.name} exited`).join(', '),
  });

  // ---- report ----------------------------------------------------------------------------
  const seconds = (trafficMs - steadyStart) / 1000;
  const steady = records.filter((record) => record.start >= steadyStart);
  console.log('');
  console.log(
    `Soak ${runId}: ${users.length} users × ${settings.sessionsPerUser} sessions, ` +
      `${settings.concurrency} in flight, 2 instances; ramp-up (logins) ${(steadyStart / 1000).toFixed(1)}s, ` +
      `then ${seconds.toFixed(0)}s of mixed traffic (${traffic.steps} rounds)`,
  );
  if (fault.cutAt !== undefined) {
    console.log(
      `fault window: ${settings.fault} ${settings.faultMode} from ${(fault.cutAt / 1000).toFixed(1)}s ` +
        `to ${((fault.restoredAt ?? trafficMs) / 1000).toFixed(1)}s (+${settings.recoveryGraceMs / 1000}s grace)`,
    );
  }
  console.log('');
  console.log('Requests per route, instance and status');
  const perInstance: string[][] = [['route', 'instance', 'requests', 'statuses']];
  const routes = [...new Set(records.map((record) => record.route))].sort();
  for (const route of routes) {
    for (let index = 0; index < instances.length; index++) {
      const list = records.filter((record) => record.route === route && record.instance === index);
      perInstance.push([route, names[index], String(list.length), statusSummary(list)]);
    }
  }
  printTable(perInstance);
  if (inside.length > 0) {
    console.log('');
    console.log(
      `In the fault window: ${inside.length} requests: ${statusSummary(inside)}; ` +
        `5xx by route and instance: ${JSON.stringify(countBy(inside5xx, (r) => `${r.route}@${names[r.instance]} ${r.status}`))}`,
    );
  }
  console.log('');
  console.log(
    `Ramp-up: ${rampLogins.length} logins in ${(steadyStart / 1000).toFixed(1)}s ` +
      `(${(rampLogins.length / (steadyStart / 1000)).toFixed(1)}/s), ` +
      `p50 ${percentile(
        rampLogins.map((r) => r.ms).sort((a, b) => a - b),
        50,
      )} ms, ` +
      `p99 ${percentile(
        rampLogins.map((r) => r.ms).sort((a, b) => a - b),
        99,
      )} ms`,
  );
  console.log('Throughput and latency per route, steady phase (fault window included)');
  const stats = routeStats(steady, seconds);
  const outsideStats = routeStats(
    steady.filter((record) => !window(record)),
    seconds - (inside.length > 0 ? ((fault.restoredAt ?? 0) - (fault.cutAt ?? 0)) / 1000 : 0),
  );
  printTable([
    ['route', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 ms outside fault'],
    ...stats.map((stat) => [
      stat.route,
      String(stat.requests),
      stat.perSecond.toFixed(1),
      stat.p50Ms.toFixed(1),
      stat.p99Ms.toFixed(1),
      stat.maxMs.toFixed(0),
      (outsideStats.find((other) => other.route === stat.route)?.p99Ms ?? 0).toFixed(1),
    ]),
  ]);
  console.log('');
  console.log(
    'Memory per instance (RSS from /proc; heap used from GET /metrics, right after a forced full GC)',
  );
  printTable([
    [
      'instance',
      'RSS before',
      'RSS start',
      'RSS middle',
      'RSS end',
      'RSS idle',
      'RSS slope',
      'heap total slope',
      'heap start',
      'heap middle',
      'heap idle',
    ],
    ...memory.map((report) => [
      report.instance,
      mb(report.beforeTraffic?.rssBytes),
      mb(report.start?.rssBytes),
      mb(report.middle?.rssBytes),
      mb(report.end?.rssBytes),
      mb(report.idleAfterGc?.rssBytes),
      `${fmt(report.rssSlopeMbPerMin)} MB/min`,
      `${fmt(report.heapTotalSlopeMbPerMin)} MB/min`,
      mb(report.startAfterGc?.heapUsedBytes),
      mb(report.middleAfterGc?.heapUsedBytes),
      mb(report.idleAfterGc?.heapUsedBytes),
    ]),
  ]);
  console.log(
    '(before: before the ramp-up; start/middle/end: the steady phase; idle: 3 s after the traffic; ' +
      'slopes: least squares over the last third of the steady phase)',
  );
  console.log('');
  console.log(
    `sessions by end: ${JSON.stringify(Object.fromEntries(endReasons.map((r) => [r.end_reason, r.n])))}`,
  );
  console.log(
    `audit events: ${JSON.stringify(Object.fromEntries(auditActions.map((r) => [`${r.action}/${r.outcome}`, r.n])))}`,
  );
  console.log(`logouts answered 200 by scope: ${JSON.stringify(traffic.logoutsByScope)}`);
  console.log('');
  for (const check of checks) {
    const verdict = check.pass === null ? 'INFO' : check.pass ? 'PASS' : 'FAIL';
    console.log(`${verdict}  ${check.name}: ${check.detail}`);
  }

  const results = {
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
    },
    // The URLs may carry credentials: not in a file.
    settings: { ...settings, pgUrl: undefined, redisUrl: undefined },
    rampUpSeconds: steadyStart / 1000,
    rampUpLogins: countBy(rampLogins, (record) => String(record.status)),
    steadySeconds: seconds,
    rounds: traffic.steps,
    fault,
    recoveryGraceMs: settings.recoveryGraceMs,
    checks,
    pass: checks.every((check) => check.pass !== false),
    broke,
    requestsByRouteInstanceStatus: countBy(
      records,
      (record) => `${record.route} ${names[record.instance]} ${record.status}`,
    ),
    routes: stats,
    routesOutsideFault: outsideStats,
    faultWindow: {
      requests: inside.length,
      statuses: countBy(inside, (record) => String(record.status)),
      fiveXx: countBy(inside5xx, (r) => `${r.route} ${names[r.instance]} ${r.status}`),
      unanswered: countBy(insideUnanswered, (r) => `${r.route} ${names[r.instance]} ${r.error}`),
    },
    memory: memory.map((report, index) => ({ ...report, samples: sampler.samples[index] })),
    sessionsByEnd: Object.fromEntries(endReasons.map((r) => [r.end_reason, r.n])),
    auditEvents: Object.fromEntries(auditActions.map((r) => [`${r.action}/${r.outcome}`, r.n])),
    logoutsByScope: traffic.logoutsByScope,
    acceptedAfterLogout: accepted,
    anomalies: traffic.anomalies.slice(0, 200),
    inconclusiveProbes: traffic.inconclusiveProbes.slice(0, 50),
    verification: { refresh: refreshResults, access: accessResults },
    liveRefreshTokensOfEndedSessions: { ...alive[0], examples: aliveEvidence },
  };
  const resultsPath = join(RESULTS_DIR, 'soak.json');
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  const csvPath = join(RESULTS_DIR, 'soak-responses.csv');
  writeFileSync(
    csvPath,
    [
      'start_ms,duration_ms,route,instance,status,request_id,session_id,error',
      ...records.map(
        (r) =>
          `${r.start},${r.ms},${r.route},${names[r.instance]},${r.status},${r.requestId},${r.sessionId ?? ''},${r.error ?? ''}`,
      ),
    ].join('\n') + '\n',
  );
  log(`report written to ${resultsPath}; every response in ${csvPath}`);
  console.log(
    `${results.pass ? 'PASS' : 'FAIL'}: ${checks.filter((c) => c.pass === false).length} check(s) failed`,
  );
  return !broke;
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
    (ok) => (ok ? 0 : 1),
    (error: unknown) => {
      console.error(`soak failed: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    },
  )
  .then(async (code) => {
    if (interrupted) return;
    await cleanUp();
    process.exit(code);
  });
