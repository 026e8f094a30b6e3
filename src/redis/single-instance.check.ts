import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** Any 64-bit number unique to this service: held by the one instance allowed to run without Redis. */
const SINGLE_INSTANCE_LOCK = 7_201_338_817;

/**
 * Without REDIS_URL, revocation state and rate-limit counters live in process, so a second
 * instance on the same database would silently miss the first one's logouts. This check
 * holds an advisory lock for the process lifetime and refuses to start a second such
 * instance, with a line saying what to do.
 */
@Injectable()
export class SingleInstanceCheck implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SingleInstanceCheck.name);
  private holder?: QueryRunner;

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
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
      SINGLE_INSTANCE_LOCK,
    ])) as { locked: boolean }[];
    const locked = rows[0]?.locked === true;
    if (!locked) {
      await runner.release();
      throw new Error(
        'Another instance without REDIS_URL is using this database; set REDIS_URL to run several instances',
      );
    }
    this.holder = runner;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.holder) return;
    await this.holder
      .query('SELECT pg_advisory_unlock($1)', [SINGLE_INSTANCE_LOCK])
      .catch(() => undefined);
    await this.holder.release();
    this.holder = undefined;
  }
}
