import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { subscriberConnection } from '../redis/subscriber-connection';

/** Under the deployment's `REDIS_KEY_PREFIX` (ioredis does not prefix channels). */
const CHANNEL = 'security-events';
const LOCAL = 'announced';

/**
 * Wakes the deliveries (long polls, push) as soon as events commit, on every instance: the
 * announcement goes through Redis pub/sub when Redis is configured (several instances) and
 * in process otherwise (one instance). It carries nothing: PostgreSQL stays the source of
 * truth, and waiters also look again periodically, so a lost announcement only costs latency.
 */
@Injectable()
export class SecurityEventBus implements OnApplicationShutdown {
  private readonly logger = new Logger(SecurityEventBus.name);
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly subscriber?: Redis;
  private readonly channel: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    config: AppConfig,
  ) {
    this.channel = `${config.redisKeyPrefix}${CHANNEL}`;
    if (!redis) return;
    this.subscriber = subscriberConnection(redis);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => {
      this.subscriber?.subscribe(this.channel).catch((error: unknown) => {
        this.logger.warn(`Could not subscribe to security events: ${String(error)}`);
      });
    });
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.channel) this.local.emit(LOCAL);
    });
  }

  /** After a commit that recorded events: wakes this instance at once, the others through Redis. */
  announce(): void {
    this.local.emit(LOCAL);
    this.redis?.publish(this.channel, '1').catch(() => undefined);
  }

  /** Calls `listener` on every announcement until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.local.on(LOCAL, listener);
    return () => this.local.off(LOCAL, listener);
  }

  onApplicationShutdown(): void {
    this.local.removeAllListeners();
    this.subscriber?.disconnect();
  }
}
