import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { Metrics } from '../../metrics/metrics';
import { REDIS } from '../../redis/redis.module';
import { SecurityEventBus } from '../../security-events/security-event.bus';
import { type Ending, SessionRepository } from '../repositories/session.repository';
import { type LiveSession, LiveSessionCache } from './live-session.cache';
import { MemoryRevocationStore } from './memory-revocation.store';
import { RedisRevocationStore } from './redis-revocation.store';
import { type RevocationStore } from './revocation.store';
import { SessionEndedChannel } from './session-ended.channel';

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
 * How long a session confirmed live is believed without asking again: the bound on a
 * demoted admin's roles and, should an ending's publication be lost, on its tokens (the
 * periodic sync usually catches such an ending within `SYNC_INTERVAL_MS`).
 */
export const LIVE_SESSION_TTL_MS = 10_000;

/** What this deployment knows of the session an access token names. */
export type SessionState =
  { state: 'live'; session: LiveSession } | { state: 'ended' } | { state: 'unknown' };

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
export class RevocationService implements OnApplicationBootstrap, OnApplicationShutdown {
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
  /** Sessions confirmed live: a live token's request costs no round trip. */
  private readonly live = new LiveSessionCache(LIVE_SESSION_TTL_MS);
  /** Endings published by the other instances (null: single instance, nothing to hear). */
  private readonly channel: SessionEndedChannel | null;

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
    this.channel = redis
      ? new SessionEndedChannel(
          redis,
          config.redisKeyPrefix,
          (ids) => this.live.forget(ids),
          () => this.live.forgetAll(),
        )
      : null;
  }

  onApplicationShutdown(): void {
    this.channel?.close();
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

  /**
   * Call after the ending has committed. One Redis round trip whatever the number of
   * sessions: the store's writes, then the message that makes the other instances forget
   * them (the store is what they read for a session they had not confirmed live), and the
   * wake-up of the security-event deliveries when the ending queued any.
   */
  async sessionsEnded(ending: Pick<Ending, 'sessionIds' | 'deliveriesToWake'>): Promise<void> {
    const { sessionIds, deliveriesToWake } = ending;
    // Every ending passes here after its commit: its security events are now deliverable.
    const wakeDeliveries =
      deliveriesToWake === 'none' ? undefined : this.securityEvents.announceHere(deliveriesToWake);
    if (sessionIds.length === 0) {
      // A password change with no other session still queued its credential-change event.
      if (wakeDeliveries) {
        await this.store.markEnded([], this.ttlMs, [wakeDeliveries]).catch(() => undefined);
      }
      return;
    }
    this.live.forget(sessionIds);
    const messages = [
      ...(this.channel ? [this.channel.messageFor(sessionIds)] : []),
      ...(wakeDeliveries ? [wakeDeliveries] : []),
    ];
    try {
      await this.store.markEnded(sessionIds, this.ttlMs, messages);
    } catch (error) {
      const until = this.now + this.ttlMs;
      for (const id of sessionIds) this.unpublished.set(id, until);
      this.logger.error(
        `Could not record ${sessionIds.length} ended session(s) in the shared store; ` +
          `refusing them here and publishing them when it answers: ${String(error)}`,
      );
    }
  }

  /**
   * Whether the session an access token names is live, ended, or unknown to this deployment
   * (a token signed with our key elsewhere: a restored backup, a shared key). A session
   * confirmed live lately answers from memory; anything else asks the store and PostgreSQL,
   * so an unknown session is refused on every instance whatever is cached.
   */
  async sessionState(sessionId: string, userId: string): Promise<SessionState> {
    const now = this.now;
    // Trusted only while this instance hears every ending (always, on a single instance).
    const cacheUsable = this.channel === null || this.channel.connected;
    const cached = cacheUsable ? this.live.get(sessionId, now) : undefined;
    if (cached !== undefined && !this.unpublished.has(sessionId)) {
      this.metrics.revocationChecks.inc({ result: 'hit_live' });
      return cached.userId === userId ? { state: 'live', session: cached } : { state: 'unknown' };
    }
    if (await this.endedPerStore(sessionId)) return { state: 'ended' };
    const generation = this.live.generation;
    const stored = await this.sessions.findState(sessionId);
    if (!stored || stored.userId !== userId) return { state: 'unknown' };
    if (stored.ended) return { state: 'ended' };
    const session = { userId: stored.userId, roles: stored.roles };
    if (cacheUsable) this.live.remember(sessionId, session, generation, now);
    return { state: 'live', session };
  }

  async isSessionEnded(sessionId: string): Promise<boolean> {
    return (await this.endedPerStore(sessionId)) ?? this.sessions.isEnded(sessionId);
  }

  /** The store's answer, or `undefined` when it cannot vouch for one (then ask PostgreSQL). */
  private async endedPerStore(sessionId: string): Promise<boolean | undefined> {
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
    return undefined;
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
    const ended = await this.sessions.findIdsEndedSince(new Date(since));
    // Catches an ending whose publication was lost (its instance died before publishing).
    this.live.forget(ended);
    await this.store.markEnded(ended, this.ttlMs);
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
