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
    const acks = acknowledgements(request);
    const max = Math.min(request.maxEvents ?? DEFAULT_MAX_EVENTS, 1000);
    const deadline = Date.now() + this.config.ssfPollTimeoutMs;
    // Paused streams keep their events (SSF 1.0 §8.1.2) but hand none out.
    const deliverable = stream.status === 'enabled' && max > 0;
    // The acknowledgements wait with the gathering (their SETs stay leased meanwhile) and go
    // with the next lease, in one statement.
    if (deliverable && request.returnImmediately !== true) {
      await this.pause(POLL_GATHER_MS, aborted);
    }
    let first = true;
    for (;;) {
      const seen = this.announcements;
      // A stopping instance leases nothing more: what is queued waits for the next poll.
      const leasing = deliverable && !this.closing;
      let moreDue = false;
      if (leasing || first) {
        const taken = await this.exchange(stream, first ? acks : NO_ACKS, leasing ? max : 0);
        first = false;
        if (Object.keys(taken.sets).length > 0) {
          return { sets: taken.sets, moreAvailable: taken.moreDue };
        }
        moreDue = taken.moreDue;
      }
      const remaining = deadline - Date.now();
      if (
        !deliverable ||
        request.returnImmediately === true ||
        remaining <= 0 ||
        aborted.aborted ||
        this.closing
      ) {
        return { sets: {}, moreAvailable: !deliverable && moreDue && stream.status === 'enabled' };
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

  /**
   * Applies `acks` and leases up to `max` SETs, in one statement. One unknown `jti` refuses
   * the request and changes nothing (RFC 8936 §2.4 leaves this to the transmitter).
   */
  private async exchange(
    stream: Stream,
    acks: Acknowledgements,
    max: number,
  ): Promise<{ sets: Record<string, string>; moreDue: boolean }> {
    const now = this.clock.now();
    const outcome = await this.deliveries.acknowledgeAndLease(
      stream.id,
      acks.jtis,
      acks.errors,
      now,
      max,
      new Date(now.getTime() + POLL_LEASE_MS),
    );
    if (!outcome.valid) {
      const known = new Set(await this.deliveries.findOwnJtis(stream.id, acks.jtis));
      throw unknownSets(acks.jtis.filter((jti) => !known.has(jti)));
    }
    const refused = acks.errors.filter((error) => error !== null).length;
    if (acks.jtis.length > refused) {
      this.metrics.securityEventDeliveries.inc(
        { method: 'poll', outcome: 'delivered' },
        acks.jtis.length - refused,
      );
    }
    if (refused > 0) {
      this.metrics.securityEventDeliveries.inc({ method: 'poll', outcome: 'refused' }, refused);
    }
    const sets: Record<string, string> = {};
    for (const delivery of outcome.leased) {
      sets[delivery.jti] = await this.tokens.set(delivery, stream.clientId, stream.id);
    }
    return { sets, moreDue: outcome.moreDue };
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

/** A poll's acknowledgements: `jtis` (lower case, each once) and the error of each, if refused. */
interface Acknowledgements {
  jtis: string[];
  errors: (string | null)[];
}

const NO_ACKS: Acknowledgements = { jtis: [], errors: [] };

function unknownSets(jtis: readonly string[]): DomainError {
  return new DomainError(
    'unknown_set',
    `No SET of this stream has jti ${jtis.slice(0, 5).join(', ')}; nothing was acknowledged`,
  );
}

/** RFC 8936 §2.4 `ack` and `setErrs`, checked for shape; a malformed `jti` is unknown. */
function acknowledgements(request: PollRequest): Acknowledgements {
  const errors = Object.entries(request.setErrs ?? {});
  if (errors.some(([, error]) => typeof (error as { err?: unknown } | null)?.err !== 'string')) {
    throw new DomainError('validation_failed', 'each setErrs value must be { err, description? }');
  }
  const given = [...(request.ack ?? []), ...errors.map(([jti]) => jti)];
  const malformed = given.filter((jti) => !isUUID(jti));
  if (malformed.length > 0) throw unknownSets(malformed);
  const errorOf = new Map(
    errors.map(([jti, error]) => [
      jti.toLowerCase(),
      `${error.err}${error.description ? `: ${error.description}` : ''}`.slice(0, 500),
    ]),
  );
  const jtis = [...new Set(given.map((jti) => jti.toLowerCase()))];
  return { jtis, errors: jtis.map((jti) => errorOf.get(jti) ?? null) };
}
