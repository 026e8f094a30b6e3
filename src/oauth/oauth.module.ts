import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OAuthController } from './oauth.controller';
import { ServiceClientGuard } from './service-client.guard';
import { TokenIntrospectionService } from './token-introspection.service';
import { WellKnownController } from './well-known.controller';

@Module({
  imports: [AuthModule],
  controllers: [WellKnownController, OAuthController],
  providers: [TokenIntrospectionService, ServiceClientGuard],
})
export class OAuthModule {}
