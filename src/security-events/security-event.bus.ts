import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { type ChannelMessage } from '../redis/channel-message';
import { REDIS } from '../redis/redis.module';

/** Under the deployment's `REDIS_KEY_PREFIX` (ioredis does not prefix channels). */
const CHANNEL = 'security-events';
const LOCAL = 'announced';

/** Whose deliveries an announcement wakes: every waiter, or long polls only (no push queued). */
export type Awakened = 'all' | 'poll';

/**
 * Wakes the deliveries (long polls, push) as soon as events commit, on every instance: the
 * announcement goes through Redis pub/sub when Redis is configured (several instances) and
 * in process otherwise (one instance). It carries only whom it wakes: PostgreSQL stays the
 * source of truth, and waiters also look again periodically, so a lost announcement only
 * costs latency. An instance ignores its own announcements coming back through Redis (the
 * message names the instance): it woke already.
 */
@Injectable()
export class SecurityEventBus implements OnApplicationShutdown {
  private readonly logger = new Logger(SecurityEventBus.name);
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly subscriber?: Redis;
  private readonly channel: string;
  /** What this instance publishes, so it can tell its own announcements from the others'. */
  private readonly instance = randomUUID();

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    config: AppConfig,
  ) {
    this.channel = `${config.redisKeyPrefix}${CHANNEL}`;
    if (!redis) return;
    // A connection of its own: a subscribed connection can run no other command.
    this.subscriber = redis.duplicate({ keyPrefix: '' });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => {
      this.subscriber?.subscribe(this.channel).catch((error: unknown) => {
        this.logger.warn(`Could not subscribe to security events: ${String(error)}`);
      });
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      const [instance, awakened] = message.split(' ');
      if (channel !== this.channel || instance === this.instance) return;
      this.local.emit(LOCAL, awakened === 'poll' ? 'poll' : 'all');
    });
  }

  /** After a commit that recorded events: wakes this instance at once, the others through Redis. */
  announce(awakened: Awakened = 'all'): void {
    const others = this.announceHere(awakened);
    if (others) this.redis?.publish(others.channel, others.message).catch(() => undefined);
  }

  /**
   * Wakes this instance and returns the message that wakes the others (none without Redis),
   * for a caller that sends it along with its own Redis writes.
   */
  announceHere(awakened: Awakened = 'all'): ChannelMessage | undefined {
    this.local.emit(LOCAL, awakened);
    return this.redis
      ? { channel: this.channel, message: `${this.instance} ${awakened}` }
      : undefined;
  }

  /** Calls `listener` on every announcement until the returned function is called. */
  subscribe(listener: (awakened: Awakened) => void): () => void {
    this.local.on(LOCAL, listener);
    return () => this.local.off(LOCAL, listener);
  }

  onApplicationShutdown(): void {
    this.local.removeAllListeners();
    this.subscriber?.disconnect();
  }
}
