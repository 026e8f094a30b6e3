import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UserThrottlerGuard } from '../auth/throttling/user-throttler.guard';
import { OAuthController } from './oauth.controller';
import { ServiceClientGuard } from './service-client.guard';
import { TokenIntrospectionService } from './token-introspection.service';
import { WellKnownController } from './well-known.controller';

@Module({
  imports: [AuthModule],
  controllers: [WellKnownController, OAuthController],
  // The route limiter is a guard of this module too (`@RateLimited`); the client guard counts refusals with it.
  providers: [TokenIntrospectionService, ServiceClientGuard, UserThrottlerGuard],
})
export class OAuthModule {}
