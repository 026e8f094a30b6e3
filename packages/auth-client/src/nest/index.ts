export { AuthClientModule } from './auth-client.module';
export type {
  AuthClientModuleAsyncOptions,
  AuthClientModuleOptions,
} from './auth-client-module.options';
export { AuthClientGuard } from './auth-client.guard';
export { Public } from './public.decorator';
export { CurrentSession, CurrentUser } from './current-user.decorator';
export { AUTH_CLIENT_OPTIONS, IS_PUBLIC } from './auth-client.constants';
