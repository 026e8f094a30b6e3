import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { DeliveryRepository } from '../repositories/delivery.repository';

/**
 * On a graceful stop, hands back the deliveries this instance leased and did not finish (a
 * poll answer cut off by the stop, a push that never went out), so another instance or the
 * next start delivers them at once rather than after their 30–60 s lease. It runs among the
 * last shutdown hooks: the HTTP server is closed by then (no poll can lease any more), the
 * push worker has settled its sends, and the database closes only after it.
 */
@Injectable()
export class LeaseRelease implements OnApplicationShutdown {
  private readonly logger = new Logger(LeaseRelease.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      const released = await this.deliveries.releaseHeld(this.clock.now());
      if (released > 0) this.logger.log(`Released ${released} leased security event(s)`);
    } catch (error) {
      // The database is gone: the leases simply run out, as after a crash.
      this.logger.warn(`Could not release leased security events: ${String(error)}`);
    }
  }
}
