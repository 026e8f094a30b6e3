/** `@auth-service/auth-client/testing`: the real auth service in-process, for consumers' e2e suites. */
export {
  AuthServiceHarness,
  startAuthService,
  type HttpResult,
  type StartAuthServiceOptions,
  type TestSession,
  type TestUser,
} from './auth-service.harness';
