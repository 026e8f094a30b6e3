import { type DynamicModule, Module } from '@nestjs/common';
import { AuthClientModule, type AuthClientModuleOptions } from '@auth-service/auth-client';
import { HealthController } from './health.controller';
import { OrdersController } from './orders.controller';

/** The whole consuming service: its API, and the auth client that guards it. */
@Module({})
export class ConsumerModule {
  static forRoot(auth: AuthClientModuleOptions): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [AuthClientModule.forRoot(auth)],
      controllers: [OrdersController, HealthController],
    };
  }
}
