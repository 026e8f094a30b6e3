import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { Metrics } from '../../metrics/metrics';
import { REDIS } from '../../redis/redis.module';
import { SecurityEventBus } from '../../security-events/security-event.bus';
import { SessionRepository } from '../repositories/session.repository';
import { MemoryRevocationStore } from './memory-revocation.store';
import { RedisRevocationStore } from './redis-revocation.store';
import { type RevocationStore } from './revocation.store';

/** While the store cannot vouch for answers, refill it at most this often. */
const WARM_RETRY_MS = 5_000;

/** Allowance for clocks of other verifiers running slightly behind ours. */
const CLOCK_SKEW_MS = 60_000;

/**
 * How often every instance copies the endings PostgreSQL recorded lately into the shared
 * store: the bound on how long an ending another instance failed to publish (it crashed
 * between commit and publish, or lost Redis) can go unseen by the fleet.
 */
export const SYNC_INTERVAL_MS = 5_000;

/**
 * An ending commits a little after the instant it records (a statement may run up to its
 * timeout), so each sync looks back this much further than the previous one started.
 */
const SYNC_OVERLAP_MS = 15_000;

/**
 * After Redis comes back, its "live" answers are not trusted for this long past this
 * instance's refill: endings other instances committed while they could not reach Redis
 * are in PostgreSQL, and the periodic sync needs up to one interval to copy them over.
 */
const RECONNECT_GRACE_MS = 2 * SYNC_INTERVAL_MS;

/**
 * Makes the end of a session reach its access tokens. Ended sessions are remembered in
 * Redis (shared by every instance) or in process, for as long as one of their access
 * tokens could still be unexpired; PostgreSQL stays the source of truth and refills the
 * store at start-up and whenever the store cannot vouch for its answer.
 *
 * An ending that could not be written to Redis (unreachable) is never forgotten: this
 * instance keeps it, refuses its tokens itself, and writes it as soon as Redis answers
 * again. Every instance also copies recent endings from PostgreSQL into Redis every few
 * seconds, so an ending whose instance died before publishing it still reaches the fleet.
 */
@Injectable()
export class RevocationService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RevocationService.name);
  private readonly store: RevocationStore;
  private readonly shared: boolean;
  private warming?: Promise<void>;
  private warmAgain = false;
  private lastWarmAttempt = 0;
  /** Endings the store missed (unreachable), by session id, with the time they can be forgotten. */
  private readonly unpublished = new Map<string, number>();
  private syncing = false;
  /** When the last successful sync started (clock time); the next one looks back from there. */
  private syncedFrom?: number;
  /** Until then (wall clock), revocation checks ask PostgreSQL: Redis was lost and is being refilled. */
  private untrustedUntil = 0;
  private lastWarmSucceeded = false;

  constructor(
    private readonly config: AppConfig,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    @Inject(REDIS) redis: Redis | null,
    private readonly metrics: Metrics,
    private readonly securityEvents: SecurityEventBus,
  ) {
    this.shared = redis !== null;
    this.store = redis
      ? new RedisRevocationStore(redis)
      : new MemoryRevocationStore(() => clock.now().getTime());
    // Endings recorded while Redis was unreachable (or lost in a Redis restart) are put back
    // as soon as it answers again: this instance's own at once, the rest from PostgreSQL.
    redis?.on('ready', () => void this.storeReachable());
    redis?.on('close', () => (this.untrustedUntil = Number.POSITIVE_INFINITY));
  }

  private get ttlMs(): number {
    return this.config.accessTokenTtlMs + CLOCK_SKEW_MS;
  }

  private get now(): number {
    return this.clock.now().getTime();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.warmSoon(0);
  }

  /** Call after the ending has committed. */
  async sessionsEnded(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    // Every ending passes here after its commit: its security events are now deliverable.
    this.securityEvents.announce();
    try {
      await this.store.markEnded(sessionIds, this.ttlMs);
    } catch (error) {
      const until = this.now + this.ttlMs;
      for (const id of sessionIds) this.unpublished.set(id, until);
      this.logger.error(
        `Could not record ${sessionIds.length} ended session(s) in the shared store; ` +
          `refusing them here and publishing them when it answers: ${String(error)}`,
      );
    }
  }

  async isSessionEnded(sessionId: string): Promise<boolean> {
    const unpublishedUntil = this.unpublished.get(sessionId);
    if (unpublishedUntil !== undefined && unpublishedUntil > this.now) {
      this.metrics.revocationChecks.inc({ result: 'hit_ended' });
      return true;
    }
    const known =
      Date.now() < this.untrustedUntil ? undefined : await this.store.isEnded(sessionId);
    if (known !== undefined) {
      this.metrics.revocationChecks.inc({ result: known ? 'hit_ended' : 'hit_live' });
      return known;
    }
    this.metrics.revocationChecks.inc({ result: 'miss' });
    void this.warmSoon(WARM_RETRY_MS);
    return this.sessions.isEnded(sessionId);
  }

  /** Copies recent endings from PostgreSQL into the shared store (see `SYNC_INTERVAL_MS`). */
  @Interval(SYNC_INTERVAL_MS)
  async sync(): Promise<void> {
    if (!this.shared || this.syncing) return;
    this.syncing = true;
    const started = this.now;
    try {
      await this.publishUnpublished();
      const oldest = started - this.ttlMs;
      const since =
        this.syncedFrom === undefined
          ? oldest
          : Math.max(oldest, this.syncedFrom - SYNC_OVERLAP_MS);
      await this.copyEndedSince(since);
      this.syncedFrom = started;
      this.trustAgainLater();
    } catch (error) {
      this.logger.debug(`Revocation sync skipped: ${String(error)}`);
    } finally {
      this.syncing = false;
    }
  }

  private async storeReachable(): Promise<void> {
    try {
      await this.publishUnpublished();
    } catch (error) {
      this.logger.warn(`Could not publish ended sessions yet: ${String(error)}`);
    }
    await this.warmSoon(0);
    if (this.lastWarmSucceeded) this.trustAgainLater();
  }

  /** After a refill that reached Redis: trust it again once the grace has passed. */
  private trustAgainLater(): void {
    if (this.untrustedUntil === Number.POSITIVE_INFINITY) {
      this.untrustedUntil = Date.now() + RECONNECT_GRACE_MS;
    }
  }

  /** Writes the endings the store missed; those still missing stay refused here. */
  private async publishUnpublished(): Promise<void> {
    if (this.unpublished.size === 0) return;
    const now = this.now;
    for (const [id, until] of this.unpublished) if (until <= now) this.unpublished.delete(id);
    const ids = [...this.unpublished.keys()];
    await this.store.markEnded(ids, this.ttlMs);
    for (const id of ids) this.unpublished.delete(id);
    if (ids.length > 0) this.logger.log(`Published ${ids.length} ended session(s) Redis missed`);
  }

  /**
   * At most one warm-up at a time, and at most one per `minimumGapMs` when the store keeps
   * failing. An urgent request (`0`) during a warm-up runs another one right after it: the
   * one in progress may have started before the store came back, and failed.
   */
  private warmSoon(minimumGapMs: number): Promise<void> {
    if (this.warming) {
      if (minimumGapMs === 0) this.warmAgain = true;
      return this.warming;
    }
    const now = Date.now();
    if (now - this.lastWarmAttempt < minimumGapMs) return Promise.resolve();
    this.lastWarmAttempt = now;
    this.warming = this.warm().finally(() => {
      this.warming = undefined;
      if (this.warmAgain) {
        this.warmAgain = false;
        void this.warmSoon(0);
      }
    });
    return this.warming;
  }

  /** PostgreSQL → store: every session that ended since `since` (clock ms). */
  private async copyEndedSince(since: number): Promise<void> {
    await this.store.markEnded(await this.sessions.findIdsEndedSince(new Date(since)), this.ttlMs);
  }

  private async warm(): Promise<void> {
    this.lastWarmSucceeded = false;
    try {
      await this.copyEndedSince(this.now - this.ttlMs);
      await this.store.markWarm();
      this.lastWarmSucceeded = true;
    } catch (error) {
      this.logger.warn(`Revocation store not warmed yet: ${String(error)}`);
    }
  }
}
