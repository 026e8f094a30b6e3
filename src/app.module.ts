import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { type Environment } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { ClockModule } from './common/clock/clock.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OAuthModule } from './oauth/oauth.module';
import { RedisModule } from './redis/redis.module';
import { SecurityEventsModule } from './security-events/security-events.module';

/** The composition root. `overrides` replaces environment variables (tests, tools). */
@Module({})
export class AppModule {
  static forRoot(overrides: Environment = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(overrides),
        LoggingModule,
        ClockModule,
        DatabaseModule,
        RedisModule,
        ScheduleModule.forRoot(),
        AuthModule,
        AdminModule,
        OAuthModule,
        SecurityEventsModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
