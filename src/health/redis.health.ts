import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';
import { withTimeout } from './with-timeout';

@Injectable()
export class RedisHealthIndicator {
  private readonly logger = new Logger(RedisHealthIndicator.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly indicators: HealthIndicatorService,
  ) {}

  get configured(): boolean {
    return this.redis !== null;
  }

  async check(timeoutMs: number) {
    const indicator = this.indicators.check('redis');
    if (!this.redis) return indicator.up({ mode: 'not configured' });
    try {
      await withTimeout(this.redis.ping(), timeoutMs);
      return indicator.up();
    } catch (error) {
      // The client's error text (addresses, user names, driver internals) goes to the log only;
      // the unauthenticated caller learns which check failed, nothing more.
      this.logger.warn(
        `Readiness: the Redis check failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return indicator.down();
    }
  }
}
