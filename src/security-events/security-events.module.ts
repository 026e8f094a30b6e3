import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UserThrottlerGuard } from '../auth/throttling/user-throttler.guard';
import { ServiceClientGuard } from '../oauth/service-client.guard';
import { PollController } from './controllers/poll.controller';
import { SsfConfigurationController } from './controllers/ssf-configuration.controller';
import { StreamController } from './controllers/stream.controller';
import { ReceiverGuard } from './guards/receiver.guard';
import { DeliveryRepository } from './repositories/delivery.repository';
import { StreamRepository } from './repositories/stream.repository';
import { SecurityEventBusModule } from './security-event-bus.module';
import { LeaseRelease } from './services/lease-release';
import { PollService } from './services/poll.service';
import { PushDeliveryWorker } from './services/push-delivery.worker';
import { PushEndpointPolicy } from './services/push-endpoint.policy';
import { SecurityEventRetentionJob } from './services/security-event-retention.job';
import { SecurityEventTokenService } from './services/security-event-token.service';
import { StreamService } from './services/stream.service';

/**
 * The SSF transmitter (issue 10): stream management, poll and push delivery of the events
 * the outbox records, and back-channel logout.
 */
@Module({
  imports: [AuthModule, SecurityEventBusModule],
  controllers: [SsfConfigurationController, StreamController, PollController],
  providers: [
    StreamRepository,
    DeliveryRepository,
    SecurityEventTokenService,
    PushEndpointPolicy,
    StreamService,
    PollService,
    PushDeliveryWorker,
    LeaseRelease,
    SecurityEventRetentionJob,
    ServiceClientGuard,
    // Counts the client guard's refusals on rate-limited routes.
    UserThrottlerGuard,
    ReceiverGuard,
  ],
})
export class SecurityEventsModule {}
