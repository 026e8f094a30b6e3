import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { Metrics } from '../../metrics/metrics';
import { DeliveryRepository } from '../repositories/delivery.repository';

const RETENTION_INTERVAL_MS = 60_000;
/** Delivered events outlive every access token they could concern, with a margin for clock skew. */
const DELIVERED_MARGIN_MS = 60_000;

/**
 * Keeps the outbox bounded. Delivered events stay at least ACCESS_TOKEN_TTL (a new stream is
 * back-filled from them; a receiver that comes back late still learns of every ending that
 * matters). Undelivered ones stay SSF_UNDELIVERED_RETENTION, then are dropped, counted in
 * `ssf_events_dropped_total` and logged per receiver. Safe on every instance at once.
 */
@Injectable()
export class SecurityEventRetentionJob {
  private readonly logger = new Logger(SecurityEventRetentionJob.name);
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly deliveries: DeliveryRepository,
    private readonly metrics: Metrics,
  ) {}

  @Interval(RETENTION_INTERVAL_MS)
  async scheduled(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.run();
    } catch (error) {
      this.logger.warn(`Security event retention failed; retrying next interval: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }

  /** Returns how many undelivered events were dropped. */
  async run(): Promise<number> {
    const now = this.clock.now().getTime();
    const dropped = await this.deliveries.purge(
      new Date(now - this.config.accessTokenTtlMs - DELIVERED_MARGIN_MS),
      new Date(now - this.config.ssfUndeliveredRetentionMs),
    );
    let total = 0;
    for (const { clientId, kind, dropped: count } of dropped) {
      const receiver = kind === 'backchannel' ? `${clientId} (back-channel logout)` : clientId;
      this.metrics.securityEventsDropped.inc({ receiver }, count);
      this.logger.warn(
        `Dropped ${count} security event(s) that ${receiver} did not take within SSF_UNDELIVERED_RETENTION`,
      );
      total += count;
    }
    return total;
  }
}
