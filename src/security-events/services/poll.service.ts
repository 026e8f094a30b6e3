import { isUUID } from 'class-validator';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { Metrics } from '../../metrics/metrics';
import { DeliveryRepository } from '../repositories/delivery.repository';
import { SecurityEventBus } from '../security-event.bus';
import { POLL_METHOD, type Stream } from '../stream';
import { SecurityEventTokenService } from './security-event-token.service';

/** RFC 8936 §2.4 request members this service reads. */
export interface PollRequest {
  ack?: string[];
  setErrs?: Record<string, { err: string; description?: string }>;
  maxEvents?: number;
  returnImmediately?: boolean;
}

export interface PollResponse {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

const DEFAULT_MAX_EVENTS = 100;
/** A SET returned but not acknowledged is returned again after this long (at-least-once). */
export const POLL_LEASE_MS = 30_000;
/** While waiting, look at the queue this often anyway: an announcement may have been lost. */
const FALLBACK_CHECK_MS = 5_000;
/**
 * A long poll looks at the queue this long after it arrives or is woken, not at once: events
 * of a burst (one per logout) go out in one answer instead of one poll round trip each. Far
 * inside the 1 s a poll receiver may take to learn of an ending (issue 10).
 */
export const POLL_GATHER_MS = 50;

/**
 * RFC 8936 poll delivery. Acknowledgements are applied first (all or none: one unknown
 * `jti` refuses the request and changes nothing), then due SETs are leased and returned.
 * Without `returnImmediately` an empty queue is waited on: the request returns as soon as an
 * event commits on any instance (SecurityEventBus), or empty after SSF_POLL_TIMEOUT.
 */
@Injectable()
export class PollService implements BeforeApplicationShutdown {
  private readonly waiting = new Set<() => void>();
  /** Polls gathering a burst (POLL_GATHER_MS): only a hang-up or a stop cuts that short. */
  private readonly pausing = new Set<() => void>();
  private closing = false;
  /** Counts announcements: a poll that found nothing waits only if none came since it looked. */
  private announcements = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly deliveries: DeliveryRepository,
    private readonly tokens: SecurityEventTokenService,
    private readonly metrics: Metrics,
    bus: SecurityEventBus,
  ) {
    bus.subscribe(() => {
      this.announcements++;
      for (const wake of this.waiting) wake();
    });
  }

  async poll(stream: Stream, request: PollRequest, aborted: AbortSignal): Promise<PollResponse> {
    if (stream.deliveryMethod !== POLL_METHOD) {
      throw new DomainError('invalid_request', 'This stream is delivered by push, not poll');
    }
    await this.acknowledge(stream, request);
    const max = Math.min(request.maxEvents ?? DEFAULT_MAX_EVENTS, 1000);
    const deadline = Date.now() + this.config.ssfPollTimeoutMs;
    // Paused streams keep their events (SSF 1.0 §8.1.2) but hand none out.
    const deliverable = stream.status === 'enabled' && max > 0;
    const gathers = deliverable && request.returnImmediately !== true;
    if (gathers) await this.pause(POLL_GATHER_MS, aborted);
    for (;;) {
      const seen = this.announcements;
      // A stopping instance leases nothing more: what is queued waits for the next poll.
      if (deliverable && !this.closing) {
        const sets = await this.take(stream, max);
        if (Object.keys(sets).length > 0) {
          return { sets, moreAvailable: await this.deliveries.hasDue(stream.id, this.clock.now()) };
        }
      }
      const remaining = deadline - Date.now();
      if (
        !deliverable ||
        request.returnImmediately === true ||
        remaining <= 0 ||
        aborted.aborted ||
        this.closing
      ) {
        const more = deliverable
          ? false
          : await this.deliveries.hasDue(stream.id, this.clock.now());
        return { sets: {}, moreAvailable: more && stream.status === 'enabled' };
      }
      if (this.announcements === seen) {
        await this.waitForEvent(Math.min(remaining, FALLBACK_CHECK_MS), aborted);
      }
      if (this.announcements !== seen) {
        await this.pause(Math.min(POLL_GATHER_MS, Math.max(0, deadline - Date.now())), aborted);
      }
    }
  }

  /**
   * Ends every waiting poll (empty answer) before the HTTP server closes, so shutdown does not
   * wait for their timeouts.
   */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const wake of [...this.waiting, ...this.pausing]) wake();
  }

  private async acknowledge(stream: Stream, request: PollRequest): Promise<void> {
    const acks = request.ack ?? [];
    const errors = Object.entries(request.setErrs ?? {});
    if (errors.some(([, error]) => typeof (error as { err?: unknown } | null)?.err !== 'string')) {
      throw new DomainError(
        'validation_failed',
        'each setErrs value must be { err, description? }',
      );
    }
    const jtis = [...new Set([...acks, ...errors.map(([jti]) => jti)])];
    if (jtis.length === 0) return;
    const malformed = jtis.filter((jti) => !isUUID(jti));
    const known = new Set(
      await this.deliveries.findOwnJtis(
        stream.id,
        jtis.filter((jti) => isUUID(jti)),
      ),
    );
    const unknown = [...malformed, ...jtis.filter((jti) => isUUID(jti) && !known.has(jti))];
    if (unknown.length > 0) {
      throw new DomainError(
        'unknown_set',
        `No SET of this stream has jti ${unknown.slice(0, 5).join(', ')}; nothing was acknowledged`,
      );
    }
    const errorOf = new Map(
      errors.map(([jti, error]) => [
        jti.toLowerCase(),
        `${error.err}${error.description ? `: ${error.description}` : ''}`.slice(0, 500),
      ]),
    );
    const all = [...known];
    const outcomes = all.map((jti) => errorOf.get(jti.toLowerCase()) ?? null);
    await this.deliveries.markDelivered(stream.id, all, outcomes, this.clock.now());
    const refused = outcomes.filter((outcome) => outcome !== null).length;
    this.metrics.securityEventDeliveries.inc(
      { method: 'poll', outcome: 'delivered' },
      all.length - refused,
    );
    if (refused > 0) {
      this.metrics.securityEventDeliveries.inc({ method: 'poll', outcome: 'refused' }, refused);
    }
  }

  private async take(stream: Stream, max: number): Promise<Record<string, string>> {
    const now = this.clock.now();
    const leased = await this.deliveries.lease(
      stream.id,
      now,
      max,
      new Date(now.getTime() + POLL_LEASE_MS),
    );
    const sets: Record<string, string> = {};
    for (const delivery of leased) {
      sets[delivery.jti] = await this.tokens.set(delivery, stream.clientId, stream.id);
    }
    return sets;
  }

  /** Waits `ms` whatever is announced; a hang-up or a stop ends it early. */
  private pause(ms: number, aborted: AbortSignal): Promise<void> {
    return this.waitUntil(ms, aborted, this.pausing);
  }

  private waitForEvent(timeoutMs: number, aborted: AbortSignal): Promise<void> {
    return this.waitUntil(timeoutMs, aborted, this.waiting);
  }

  private waitUntil(
    timeoutMs: number,
    aborted: AbortSignal,
    waiters: Set<() => void>,
  ): Promise<void> {
    if (this.closing || aborted.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        aborted.removeEventListener('abort', done);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      aborted.addEventListener('abort', done);
      waiters.add(done);
    });
  }
}
