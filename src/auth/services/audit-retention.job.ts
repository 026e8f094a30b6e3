import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { AuditEventRepository } from '../repositories/audit-event.repository';
import { AuditService } from './audit.service';

const BATCH_SIZE = 1_000;
/** Caps one run, so a first purge of a large backlog spreads over several runs. */
const MAX_BATCHES_PER_RUN = 200;
const RUN_INTERVAL_MS = 60 * 60_000;

/**
 * Removes audit events older than `AUDIT_RETENTION` in small batches, on every instance
 * (the batches skip each other's rows), and audits each run's count as `audit_retention`.
 */
@Injectable()
export class AuditRetentionJob {
  private readonly logger = new Logger(AuditRetentionJob.name);
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly events: AuditEventRepository,
    private readonly audit: AuditService,
  ) {}

  @Interval(RUN_INTERVAL_MS)
  async scheduledRun(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.purge();
    } catch (error) {
      this.logger.warn(`Audit retention run failed; retrying next interval: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }

  /** Returns how many events it removed. */
  async purge(): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.auditRetentionMs);
    let removed = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const count = await this.events.deleteOlderThan(cutoff, BATCH_SIZE);
      removed += count;
      if (count < BATCH_SIZE) break;
      await yieldToEventLoop();
    }
    if (removed > 0) {
      await this.audit.record({
        action: 'audit_retention',
        outcome: 'success',
        client: { ipAddress: null, userAgent: null, requestId: null },
        // The count is the event's point; the column for free text carries it.
        reason: `removed ${removed} events older than ${cutoff.toISOString()}`,
        occurredAt: now,
      });
    }
    return removed;
  }
}
