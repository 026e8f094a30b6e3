import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { DataSource, type QueryRunner } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** Any 64-bit number unique to this service: held by the one instance allowed to run without Redis. */
const SINGLE_INSTANCE_LOCK = 7_201_338_817;

/** How often the holder checks that its lock (and the connection that holds it) is still there. */
export const LOCK_CHECK_INTERVAL_MS = 2_000;

/**
 * Without REDIS_URL, revocation state and rate-limit counters live in process, so a second
 * instance on the same database would silently miss the first one's logouts. This check
 * holds an advisory lock for the process lifetime and refuses to start a second such
 * instance, with a line saying what to do.
 *
 * A session-level advisory lock lives only as long as its connection: when the database
 * restarts or the network drops it, the lock is gone. The holder notices within
 * `LOCK_CHECK_INTERVAL_MS` and takes it again, so a second instance started after the
 * outage is still refused; if one got in meanwhile, both say so in their logs.
 */
@Injectable()
export class SingleInstanceCheck implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SingleInstanceCheck.name);
  private holder?: QueryRunner;
  /** Whether this process must hold the lock at all (no Redis, a database server). */
  private required = false;
  private checking = false;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The embedded database already belongs to one process; with Redis, state is shared.
    if (this.config.redisUrl || !this.config.databaseUrl) return;
    this.logger.warn(
      'REDIS_URL is not set: revocation and rate limits are kept in this process; run a single instance',
    );
    if (!(await this.acquire())) {
      throw new Error(
        'Another instance without REDIS_URL is using this database; set REDIS_URL to run several instances',
      );
    }
    this.required = true;
  }

  /** Re-takes the lock when its connection was lost (database restart, network cut). */
  @Interval(LOCK_CHECK_INTERVAL_MS)
  async ensureHeld(): Promise<void> {
    if (!this.required || this.stopped || this.checking) return;
    this.checking = true;
    try {
      if (this.holder && (await this.stillHeld(this.holder))) return;
      await this.drop();
      if (await this.acquire()) {
        this.logger.warn('Took the single-instance lock again after losing its connection');
      } else {
        this.logger.error(
          'Another instance without REDIS_URL took this database while our connection was lost: ' +
            'revocations and rate limits are no longer shared; stop one of them or set REDIS_URL',
        );
      }
    } catch (error) {
      // The database is still unreachable: try again at the next interval.
      this.logger.debug(`Single-instance lock not re-taken yet: ${String(error)}`);
    } finally {
      this.checking = false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (!this.holder) return;
    await this.holder
      .query('SELECT pg_advisory_unlock($1)', [SINGLE_INSTANCE_LOCK])
      .catch(() => undefined);
    await this.drop();
  }

  /** Takes the lock on a dedicated connection; false when another session holds it. */
  private async acquire(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        SINGLE_INSTANCE_LOCK,
      ])) as { locked: boolean }[];
      if (rows[0]?.locked !== true) {
        await runner.release();
        return false;
      }
    } catch (error) {
      await runner.release().catch(() => undefined);
      throw error;
    }
    this.holder = runner;
    return true;
  }

  /** Whether the holder's connection is alive and still owns the lock. */
  private async stillHeld(runner: QueryRunner): Promise<boolean> {
    if (runner.isReleased) return false;
    try {
      const rows = (await runner.query(
        `SELECT count(*)::int AS held FROM pg_locks
         WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
           AND ((classid::bigint << 32) | objid::bigint) = $1`,
        [SINGLE_INSTANCE_LOCK],
      )) as { held: number }[];
      return rows[0]?.held === 1;
    } catch {
      return false;
    }
  }

  private async drop(): Promise<void> {
    const runner = this.holder;
    this.holder = undefined;
    if (runner && !runner.isReleased) await runner.release().catch(() => undefined);
  }
}
