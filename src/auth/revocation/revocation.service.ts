import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { Metrics } from '../../metrics/metrics';
import { REDIS } from '../../redis/redis.module';
import { SessionRepository } from '../repositories/session.repository';
import { MemoryRevocationStore } from './memory-revocation.store';
import { RedisRevocationStore } from './redis-revocation.store';
import { type RevocationStore } from './revocation.store';

/** While the store cannot vouch for answers, refill it at most this often. */
const WARM_RETRY_MS = 5_000;

/** Allowance for clocks of other verifiers running slightly behind ours. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Makes the end of a session reach its access tokens. Ended sessions are remembered in
 * Redis (shared by every instance) or in process, for as long as one of their access
 * tokens could still be unexpired; PostgreSQL stays the source of truth and refills the
 * store at start-up and whenever the store cannot vouch for its answer.
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RevocationService.name);
  private readonly store: RevocationStore;
  private warming?: Promise<void>;
  private lastWarmAttempt = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    @Inject(REDIS) redis: Redis | null,
    private readonly metrics: Metrics,
  ) {
    this.store = redis
      ? new RedisRevocationStore(redis)
      : new MemoryRevocationStore(() => clock.now().getTime());
    // Endings recorded while Redis was unreachable (or lost in a Redis restart) are put back
    // from PostgreSQL as soon as it answers again.
    redis?.on('ready', () => void this.warmSoon(0));
  }

  private get ttlMs(): number {
    return this.config.accessTokenTtlMs + CLOCK_SKEW_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.warmSoon(0);
  }

  /** Call after the ending has committed. */
  async sessionsEnded(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    try {
      await this.store.markEnded(sessionIds, this.ttlMs);
    } catch (error) {
      this.logger.error(`Could not record ${sessionIds.length} ended session(s): ${String(error)}`);
    }
  }

  async isSessionEnded(sessionId: string): Promise<boolean> {
    const known = await this.store.isEnded(sessionId);
    if (known !== undefined) {
      this.metrics.revocationChecks.inc({ result: known ? 'hit_ended' : 'hit_live' });
      return known;
    }
    this.metrics.revocationChecks.inc({ result: 'miss' });
    void this.warmSoon(WARM_RETRY_MS);
    return this.sessions.isEnded(sessionId);
  }

  /** At most one warm-up at a time, and at most one per `minimumGapMs` when the store keeps failing. */
  private warmSoon(minimumGapMs: number): Promise<void> {
    const now = Date.now();
    if (this.warming || now - this.lastWarmAttempt < minimumGapMs)
      return this.warming ?? Promise.resolve();
    this.lastWarmAttempt = now;
    this.warming = this.warm().finally(() => (this.warming = undefined));
    return this.warming;
  }

  private async warm(): Promise<void> {
    try {
      const since = new Date(this.clock.now().getTime() - this.ttlMs);
      const ended = await this.sessions.findEndedSince(since);
      await this.store.markEnded(
        ended.map((session) => session.id),
        this.ttlMs,
      );
      await this.store.markWarm();
    } catch (error) {
      this.logger.warn(`Revocation store not warmed yet: ${String(error)}`);
    }
  }
}
