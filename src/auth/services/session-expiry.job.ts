import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { SessionRepository } from '../repositories/session.repository';
import { RevocationService } from '../revocation/revocation.service';

const BATCH_SIZE = 500;
/** Caps one sweep so a backlog never holds the event loop or the database for long. */
const MAX_BATCHES_PER_SWEEP = 20;
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Ends sessions whose absolute lifetime or idle timeout has passed, in small batches that
 * are safe to run on every instance at once, so their access tokens stop working too.
 */
@Injectable()
export class SessionExpiryJob {
  private readonly logger = new Logger(SessionExpiryJob.name);
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sessions: SessionRepository,
    private readonly revocation: RevocationService,
  ) {}

  @Interval(SWEEP_INTERVAL_MS)
  async scheduledSweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } catch (error) {
      this.logger.warn(`Session expiry sweep failed; retrying next interval: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }

  /** Returns how many sessions it ended. */
  async sweep(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
      const now = this.clock.now();
      const idleBefore = new Date(now.getTime() - this.config.sessionIdleTimeoutMs);
      const ended = await this.sessions.endExpiredBatch(now, idleBefore, BATCH_SIZE);
      await this.revocation.sessionsEnded(ended);
      total += ended.sessionIds.length;
      if (ended.sessionIds.length < BATCH_SIZE) break;
    }
    return total;
  }
}
