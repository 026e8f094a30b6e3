import { Logger } from '@nestjs/common';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';

type Increment = ThrottlerStorage['increment'];

/**
 * Counters in Redis, shared by every instance; while Redis is unreachable, counters in this
 * process instead. Rate limiting degrades to per-instance limits rather than failing open
 * (no limit at all, which would invite credential stuffing during an outage) or failing
 * closed (refusing logouts and logins because of a cache).
 */
export class FallbackThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(FallbackThrottlerStorage.name);
  private readonly local = new ThrottlerStorageService();
  private degraded = false;

  constructor(private readonly shared: ThrottlerStorage) {}

  async increment(...args: Parameters<Increment>): ReturnType<Increment> {
    try {
      const record = await this.shared.increment(...args);
      if (this.degraded) this.logger.log('Redis is back: rate limits are shared again');
      this.degraded = false;
      return record;
    } catch (error) {
      if (!this.degraded) {
        this.logger.warn(
          `Redis unreachable, rate limits are per instance until it returns: ${String(error)}`,
        );
      }
      this.degraded = true;
      return this.local.increment(...args);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
  }
}
