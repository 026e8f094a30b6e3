import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AuthModule } from '../auth/auth.module';
import { ClientTokenService } from './client-token.service';
import { OAuthController } from './oauth.controller';
import { ServiceClientGuard } from './service-client.guard';
import { TokenIntrospectionService } from './token-introspection.service';
import { WellKnownController } from './well-known.controller';

@Module({
  imports: [AuthModule, JwtModule.register({})],
  controllers: [WellKnownController, OAuthController],
  providers: [TokenIntrospectionService, ServiceClientGuard, ClientTokenService],
})
export class OAuthModule {}
