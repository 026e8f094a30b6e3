import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { Metrics } from '../../metrics/metrics';
import { push, type PushResult } from '../push/push-client';
import {
  type LeasedDelivery,
  DeliveryRepository,
  type SettledDelivery,
} from '../repositories/delivery.repository';
import { StreamRepository } from '../repositories/stream.repository';
import { SecurityEventBus } from '../security-event.bus';
import { type Stream } from '../stream';
import { PushEndpointPolicy } from './push-endpoint.policy';
import { SecurityEventTokenService } from './security-event-token.service';

const PUSH_TIMEOUT_MS = 5_000;
/** A push in flight is hidden from other instances this long; a crash mid-push retries after it. */
const LEASE_MS = 60_000;
const FIRST_BACKOFF_MS = 1_000;
/**
 * New events wake the worker through announcements and its own retries through timers; this
 * tick only catches what neither covers (leases of a crashed instance, another instance's
 * retries while it is gone, a lost announcement).
 */
const TICK_MS = 5_000;

type Outcome = 'delivered' | 'refused' | 'retry';

/**
 * RFC 8935 push and OpenID Connect Back-Channel Logout delivery. Each due delivery is leased
 * in PostgreSQL before it is sent (`FOR UPDATE SKIP LOCKED`, see DeliveryRepository), so
 * several instances never send the same event to the same receiver at once, and at most
 * SSF_PUSH_CONCURRENCY pushes per receiver are in flight across all instances (the leases
 * alive are counted under a lock on the receiver's row). Failures are retried with
 * exponential backoff (up to SSF_PUSH_MAX_BACKOFF) until retention drops the event.
 */
@Injectable()
export class PushDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PushDeliveryWorker.name);
  /** Sends under way, by `jti`: a delivery is never sent again while its send is. */
  private readonly sending = new Map<string, { streamId: string; done: Promise<void> }>();
  /**
   * Finished sends not yet recorded, by `jti`: the next pass records them all in one statement
   * (one UPDATE per pass instead of one per SET). Until then their leases stay alive and they
   * count, like sends under way, against the receiver's bound and are never leased again.
   */
  private readonly settled = new Map<string, SettledDelivery & { streamId: string }>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** The pass under way, and the one queued to run right after it. */
  private running?: Promise<void>;
  private queued?: Promise<void>;
  private closing = false;
  private wakeScheduled = false;
  private unsubscribe?: () => void;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly streams: StreamRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly tokens: SecurityEventTokenService,
    private readonly endpoints: PushEndpointPolicy,
    private readonly metrics: Metrics,
    private readonly bus: SecurityEventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.streams.syncBackchannel(
      this.config.serviceClients.flatMap((client) =>
        client.backchannelLogoutUri
          ? [{ clientId: client.id, uri: client.backchannelLogoutUri }]
          : [],
      ),
      this.clock.now(),
    );
    // Endings that queued deliveries for poll receivers only have nothing to push.
    this.unsubscribe = this.bus.subscribe((awakened) => {
      if (awakened === 'all') this.wake();
    });
    void this.trigger();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.unsubscribe?.();
    for (const timer of this.retryTimers) clearTimeout(timer);
    // A pass under way may still start sends: wait for it, then for every send to settle.
    await this.running;
    // Recorded before LeaseRelease hands back what is left, so delivered SETs are not resent.
    await this.settle().catch((error: unknown) =>
      this.logger.warn(`Could not record finished pushes: ${String(error)}`),
    );
  }

  /** Waits for every send under way to finish, then records how each went. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.sending.values()].map((send) => send.done));
    await this.record();
  }

  @Interval(TICK_MS)
  tick(): void {
    void this.trigger();
  }

  /**
   * Runs a pass now, or right after the one under way (passes never overlap); resolves once a
   * pass that began after this call has finished.
   */
  trigger(): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (!this.running) return this.runPass();
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.closing ? undefined : this.runPass();
    });
    return this.queued;
  }

  /**
   * A pass soon: every wake of one turn of the event loop (the logouts and the finished sends
   * it saw) makes one pass, not one each.
   */
  private wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      void this.trigger();
    });
  }

  private runPass(): Promise<void> {
    const pass = this.pass()
      .catch((error: unknown) => this.logger.warn(`Push pass failed: ${String(error)}`))
      .finally(() => {
        if (this.running === pass) this.running = undefined;
      });
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<void> {
    await this.record();
    const now = this.clock.now();
    for (const stream of await this.streams.findPushWithDue(now)) {
      if (this.closing) return;
      // This instance alone fills the receiver's bound: no need to ask PostgreSQL.
      if (this.busyWith(stream.id) >= this.config.ssfPushConcurrency) continue;
      const leased = await this.deliveries.leaseWithinBound(
        stream.id,
        now,
        this.config.ssfPushConcurrency,
        new Date(now.getTime() + LEASE_MS),
        [...this.sending.keys(), ...this.settled.keys()],
      );
      for (const delivery of leased) this.start(stream, delivery);
    }
  }

  /** Records every finished send in one statement; kept for the next pass if that fails. */
  private async record(): Promise<void> {
    if (this.settled.size === 0) return;
    const batch = [...this.settled.values()];
    await this.deliveries.settle(batch);
    for (const outcome of batch) this.settled.delete(outcome.jti);
  }

  private busyWith(streamId: string): number {
    let busy = 0;
    for (const send of this.sending.values()) if (send.streamId === streamId) busy++;
    for (const outcome of this.settled.values()) if (outcome.streamId === streamId) busy++;
    return busy;
  }

  private start(stream: Stream, delivery: LeasedDelivery): void {
    const sending = this.send(stream, delivery)
      .catch((error: unknown) =>
        this.logger.warn(`Push to ${stream.clientId} failed unexpectedly: ${String(error)}`),
      )
      .finally(() => {
        this.sending.delete(delivery.jti);
        // A slot of this receiver is free again (here or, for the bound, on any instance).
        this.wake();
      });
    this.sending.set(delivery.jti, { streamId: stream.id, done: sending });
  }

  private wakeAfter(ms: number): void {
    if (this.closing) return; // the retry is in PostgreSQL; whoever runs next picks it up
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      void this.trigger();
    }, ms);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private async send(stream: Stream, delivery: LeasedDelivery): Promise<void> {
    const backchannel = stream.kind === 'backchannel';
    const url = stream.endpointUrl ?? '';
    const token = backchannel
      ? await this.tokens.logoutToken(delivery, stream.clientId)
      : await this.tokens.set(delivery, stream.clientId, stream.id);
    const result = await push(
      url,
      // Back-Channel Logout 1.0 §2.5: a form with `logout_token`; RFC 8935 §2: the SET itself.
      backchannel ? new URLSearchParams({ logout_token: token }).toString() : token,
      {
        contentType: backchannel ? 'application/x-www-form-urlencoded' : 'application/secevent+jwt',
        allowPrivate: this.endpoints.allowsPrivate(url),
        timeoutMs: PUSH_TIMEOUT_MS,
      },
    );
    const outcome = outcomeOf(result);
    const method = backchannel ? 'backchannel' : 'push';
    this.metrics.securityEventDeliveries.inc({ method, outcome });
    const why =
      result.error ?? (result.status === undefined ? 'no answer' : `HTTP ${result.status}`);
    const now = this.clock.now();
    if (outcome === 'retry') {
      const backoff = Math.min(
        this.config.ssfPushMaxBackoffMs,
        FIRST_BACKOFF_MS * 2 ** Math.min(delivery.attempts - 1, 30),
      );
      const retryAt = new Date(now.getTime() + backoff);
      this.settled.set(delivery.jti, {
        jti: delivery.jti,
        streamId: stream.id,
        retryAt,
        error: why,
      });
      this.wakeAfter(backoff);
      return;
    }
    if (outcome === 'refused') {
      // RFC 8935 §2.3: the receiver refused this SET for good; sending it again cannot help.
      this.logger.warn(
        `Receiver ${stream.clientId} refused security event ${delivery.jti}: ${why}`,
      );
    }
    this.settled.set(delivery.jti, {
      jti: delivery.jti,
      streamId: stream.id,
      doneAt: now,
      error: outcome === 'refused' ? why : null,
    });
  }
}

/** 2xx delivered; a 4xx but 408/429 refused for good; anything else (5xx, 3xx, no answer) retried. */
function outcomeOf(result: PushResult): Outcome {
  const status = result.status;
  if (status === undefined) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'refused';
  return 'retry';
}
