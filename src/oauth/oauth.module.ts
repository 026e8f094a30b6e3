import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AuthModule } from '../auth/auth.module';
import { UserThrottlerGuard } from '../auth/throttling/user-throttler.guard';
import { ClientTokenService } from './client-token.service';
import { OAuthController } from './oauth.controller';
import { ServiceClientGuard } from './service-client.guard';
import { TokenIntrospectionService } from './token-introspection.service';
import { WellKnownController } from './well-known.controller';

@Module({
  imports: [AuthModule, JwtModule.register({})],
  controllers: [WellKnownController, OAuthController],
  // The route limiter is a guard of this module too (`@RateLimited`); the client guard counts refusals with it.
  providers: [
    TokenIntrospectionService,
    ServiceClientGuard,
    ClientTokenService,
    UserThrottlerGuard,
  ],
})
export class OAuthModule {}
