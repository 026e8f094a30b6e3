import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  type InjectionToken,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthClient } from '../core/auth-client';
import { AUTH_CLIENT_OPTIONS } from './auth-client.constants';
import { AuthClientGuard } from './auth-client.guard';
import {
  type AuthClientModuleAsyncOptions,
  type AuthClientModuleOptions,
} from './auth-client-module.options';
import { createPushReceiverController } from './push-receiver.controller';

const clientProvider: Provider = {
  provide: AuthClient,
  inject: [AUTH_CLIENT_OPTIONS],
  useFactory: (options: AuthClientModuleOptions) =>
    new AuthClient({ logger: new Logger('AuthClient'), ...options }),
};

/**
 * Trust the auth service's access tokens in a Nest app: a global guard (with `@Public()`),
 * `@CurrentUser()` / `@CurrentSession()`, and the security-event stream started and stopped
 * with the application, so logout reaches this service within a second.
 */
@Module({})
export class AuthClientModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly client: AuthClient) {}

  static forRoot(options: AuthClientModuleOptions): DynamicModule {
    return AuthClientModule.build(
      [{ provide: AUTH_CLIENT_OPTIONS, useValue: options }],
      options.globalGuard,
      pushPath(options.delivery),
    );
  }

  static forRootAsync(options: AuthClientModuleAsyncOptions): DynamicModule {
    return {
      ...AuthClientModule.build(
        [
          {
            provide: AUTH_CLIENT_OPTIONS,
            inject: (options.inject ?? []) as InjectionToken[],
            useFactory: options.useFactory,
          },
        ],
        options.globalGuard,
        options.pushPath,
      ),
      imports: options.imports ?? [],
    };
  }

  private static build(
    optionsProviders: Provider[],
    globalGuard = true,
    pushPath?: string,
  ): DynamicModule {
    return {
      module: AuthClientModule,
      global: true,
      providers: [
        ...optionsProviders,
        clientProvider,
        AuthClientGuard,
        ...(globalGuard ? [{ provide: APP_GUARD, useExisting: AuthClientGuard }] : []),
      ],
      controllers: pushPath === undefined ? [] : [createPushReceiverController(pushPath)],
      exports: [AuthClient, AuthClientGuard],
    };
  }

  onApplicationBootstrap(): void {
    this.client.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.client.stop();
  }
}

/** The push endpoint is served at the path of the URL the auth service is told to call. */
function pushPath(delivery: AuthClientModuleOptions['delivery']): string | undefined {
  return delivery && delivery.method === 'push'
    ? new URL(delivery.endpointUrl).pathname
    : undefined;
}
