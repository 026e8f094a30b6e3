import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig, type Environment, loadConfig } from './app-config';

/**
 * Validates the environment once at boot (through `@nestjs/config`) and provides the typed
 * `AppConfig`. `overrides` lets tests and tools change variables without touching `process.env`.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Environment = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          cache: true,
          validate: (env: Environment) => ({ app: loadConfig({ ...env, ...overrides }) }),
        }),
      ],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => config.getOrThrow<AppConfig>('app'),
        },
      ],
      exports: [AppConfig],
    };
  }
}
