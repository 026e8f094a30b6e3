import { type ModuleMetadata } from '@nestjs/common';
import { type AuthClientOptions } from '../core/auth-client.options';

export interface AuthClientModuleOptions extends AuthClientOptions {
  /** Install the guard globally (default true). With false, use `@UseGuards(AuthClientGuard)`. */
  globalGuard?: boolean;
}

export interface AuthClientModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: unknown[];
  useFactory: (...args: never[]) => AuthClientModuleOptions | Promise<AuthClientModuleOptions>;
  /** Known before the factory runs, because it decides which routes and guards exist. */
  globalGuard?: boolean;
  /** Path of the RFC 8935 push endpoint, when the factory's delivery is push. */
  pushPath?: string;
}
