import {
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { SingleInstanceCheck } from './single-instance.check';

/** The shared Redis client, or `null` when `REDIS_URL` is unset (in-process stores, one instance). */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Redis | null => {
        if (!config.redisUrl) return null;
        const logger = new Logger('Redis');
        const client = new Redis(config.redisUrl, {
          keyPrefix: config.redisKeyPrefix,
          // Fail fast instead of queueing forever: callers fall back or answer 503.
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          commandTimeout: 1_000,
          // While disconnected, commands fail at once and callers fall back (PostgreSQL, local counters).
          enableOfflineQueue: false,
          // Commands of concurrent requests issued in one turn of the event loop go out in one
          // write: each socket write to Redis cost a logout more CPU than its SQL statement.
          enableAutoPipelining: true,
          retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
          // Connected when the application initialises (below), not while it is being built:
          // a start that fails half-way must leave no connection behind.
          lazyConnect: true,
          // rediss:// turns TLS on with Node's default CAs; a private CA replaces them.
          ...(config.redisTlsCaPem ? { tls: { ca: config.redisTlsCaPem } } : {}),
        });
        client.on('error', (error: Error) => logger.warn(`Redis: ${error.message}`));
        return client;
      },
    },
    SingleInstanceCheck,
  ],
  exports: [REDIS],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: Redis | null) {}

  /** Runs before any other module's hooks (a global module): Redis is there when they start. */
  async onModuleInit(): Promise<void> {
    // Redis down: the start goes on (callers fall back) and the client keeps reconnecting.
    await this.redis?.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis || this.redis.status === 'end') return;
    // QUIT needs a live connection; a client still (re)connecting would retry forever.
    if (this.redis.status === 'ready')
      await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis.disconnect();
  }
}
