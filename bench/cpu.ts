/**
 * CPU time spent per request by each party of a measured run: the server process, the
 * PostgreSQL backends of the bench database, Redis, and the load generator itself. Unlike
 * requests per second, CPU per request barely moves when other work shares the machine,
 * so it says where the time goes even on a noisy box. Linux only (/proc); elsewhere the
 * figures are simply absent.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { type Client } from 'pg';

export interface CpuPerRequest {
  /** Milliseconds of CPU per 2xx response. */
  serverMs: number;
  postgresMs: number;
  /** Redis is shared with whatever else runs on the machine: an upper bound. */
  redisMs?: number;
  loadGeneratorMs: number;
}

interface Snapshot {
  server: number;
  postgres: Map<number, number>;
  redis?: number;
  loadGenerator: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** user + system CPU seconds of a process, or undefined when it cannot be read. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

async function redisCpuSeconds(redis: Redis | undefined): Promise<number | undefined> {
  if (!redis) return undefined;
  try {
    const info = await redis.info('cpu');
    const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
    const total = value('used_cpu_sys') + value('used_cpu_user');
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

export class CpuMeter {
  private readonly redis?: Redis;

  constructor(
    private readonly db: Client,
    private readonly databaseName: string,
    redisUrl: string | undefined,
  ) {
    this.redis = redisUrl
      ? new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
      : undefined;
  }

  async close(): Promise<void> {
    if (this.redis) this.redis.disconnect();
    return Promise.resolve();
  }

  /** Starts measuring `serverPid`; the returned function ends the window and divides by `requests`. */
  async start(
    serverPid: number,
  ): Promise<(requests: number) => Promise<CpuPerRequest | undefined>> {
    const before = await this.snapshot(serverPid);
    return async (requests: number) => {
      const after = await this.snapshot(serverPid);
      if (!before || !after || requests <= 0) return undefined;
      let postgres = 0;
      for (const [pid, seconds] of after.postgres) {
        // A backend that started during the window counts in full.
        postgres += seconds - (before.postgres.get(pid) ?? 0);
      }
      const perRequest = (seconds: number) => (seconds * 1000) / requests;
      return {
        serverMs: perRequest(after.server - before.server),
        postgresMs: perRequest(postgres),
        redisMs:
          after.redis !== undefined && before.redis !== undefined
            ? perRequest(after.redis - before.redis)
            : undefined,
        loadGeneratorMs: perRequest(after.loadGenerator - before.loadGenerator),
      };
    };
  }

  private async snapshot(serverPid: number): Promise<Snapshot | undefined> {
    const server = processCpuSeconds(serverPid);
    if (server === undefined) return undefined;
    const { rows } = await this.db.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [this.databaseName],
    );
    const postgres = new Map<number, number>();
    for (const { pid } of rows) {
      const seconds = processCpuSeconds(pid);
      if (seconds !== undefined) postgres.set(pid, seconds);
    }
    const usage = process.cpuUsage();
    return {
      server,
      postgres,
      redis: await redisCpuSeconds(this.redis),
      loadGenerator: (usage.user + usage.system) / 1e6,
    };
  }
}
