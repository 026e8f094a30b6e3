import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { SecurityEventBusModule } from '../security-events/security-event-bus.module';
import { AccountController } from './controllers/account.controller';
import { AuthController } from './controllers/auth.controller';
import { LogoutController } from './controllers/logout.controller';
import { LogoutRefusalAuditFilter } from './filters/logout-refusal-audit.filter';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { AuditEventRepository } from './repositories/audit-event.repository';
import { RefreshTokenRepository } from './repositories/refresh-token.repository';
import { SessionRepository } from './repositories/session.repository';
import { SigningKeyRepository } from './repositories/signing-key.repository';
import { RefusalAuditService } from './services/refusal-audit.service';
import { LOGIN_ATTEMPT_STORE, type LoginAttemptStore } from './login-limits/login-attempt.store';
import { LoginLimiter } from './login-limits/login-limiter';
import { MemoryLoginAttemptStore } from './login-limits/memory-login-attempt.store';
import { RedisLoginAttemptStore } from './login-limits/redis-login-attempt.store';
import { PasswordPolicy } from './passwords/password-policy';
import { UserRepository } from './repositories/user.repository';
import { RevocationService } from './revocation/revocation.service';
import { AccountStatusService } from './services/account-status.service';
import { AccountService } from './services/account.service';
import { AuditRetentionJob } from './services/audit-retention.job';
import { AuditTrailService } from './services/audit-trail.service';
import { AuditService } from './services/audit.service';
import { AuthService } from './services/auth.service';
import { BootstrapAdminService } from './services/bootstrap-admin.service';
import { LogoutService } from './services/logout.service';
import {
  DEFAULT_PASSWORD_HASH_OPTIONS,
  PASSWORD_HASH_OPTIONS,
  PasswordHasher,
} from './services/password-hasher';
import { SessionExpiryJob } from './services/session-expiry.job';
import { SessionService } from './services/session.service';
import { SigningKeyService } from './services/signing-key.service';
import { TokenAuthenticationService } from './services/token-authentication.service';
import { UserDirectoryService } from './services/user-directory.service';
import { UserService } from './services/user.service';
import { AccessTokenService } from './tokens/access-token.service';
import { AccessTokenVerifier } from './tokens/access-token.verifier';
import { FallbackThrottlerStorage } from './throttling/fallback-throttler.storage';
import { rateLimitBuckets } from './throttling/rate-limit-buckets';
import { RedisThrottlerStorage } from './throttling/redis-throttler.storage';
import { UserThrottlerGuard } from './throttling/user-throttler.guard';

@Module({
  imports: [
    SecurityEventBusModule,
    JwtModule.register({}),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null) => ({
        throttlers: rateLimitBuckets(config),
        // Shared, atomic counters across instances when Redis is configured; in process otherwise.
        storage: redis ? new FallbackThrottlerStorage(new RedisThrottlerStorage(redis)) : undefined,
      }),
    }),
  ],
  controllers: [AuthController, LogoutController, AccountController],
  providers: [
    { provide: PASSWORD_HASH_OPTIONS, useValue: DEFAULT_PASSWORD_HASH_OPTIONS },
    // Both fail closed on their own: RolesGuard refuses a request JwtAuthGuard did not authenticate.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    UserRepository,
    SessionRepository,
    RefreshTokenRepository,
    AuditEventRepository,
    SigningKeyRepository,
    PasswordHasher,
    PasswordPolicy,
    LoginLimiter,
    {
      provide: LOGIN_ATTEMPT_STORE,
      inject: [REDIS],
      useFactory: (redis: Redis | null): LoginAttemptStore =>
        redis ? new RedisLoginAttemptStore(redis) : new MemoryLoginAttemptStore(),
    },
    SigningKeyService,
    AccessTokenService,
    AuditService,
    RefusalAuditService,
    RevocationService,
    SessionService,
    SessionExpiryJob,
    AccountService,
    AccountStatusService,
    AuditTrailService,
    AuditRetentionJob,
    UserDirectoryService,
    BootstrapAdminService,
    AuthService,
    UserService,
    LogoutService,
    AccessTokenVerifier,
    TokenAuthenticationService,
    UserThrottlerGuard,
    LogoutRefusalAuditFilter,
  ],
  // Services only: other features never reach into auth's repositories.
  exports: [
    RefusalAuditService,
    AccessTokenService,
    AccessTokenVerifier,
    TokenAuthenticationService,
    SigningKeyService,
    AuditService,
    AccountService,
    AccountStatusService,
    AuditTrailService,
    UserDirectoryService,
    UserService,
    RevocationService,
    SessionService,
  ],
})
export class AuthModule {}
