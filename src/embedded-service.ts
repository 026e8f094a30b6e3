/**
 * What an in-process copy of the service needs, in one stable place: the testing entry point
 * of `@auth-service/auth-client` loads the compiled form of this file (`dist/embedded-service.js`)
 * to start the real service inside a consuming team's test run. Internal paths may move;
 * these names stay.
 */
export { AppModule } from './app.module';
export { configureApp, createHttpAdapter } from './app.setup';
export { Clock } from './common/clock/clock';
export { PASSWORD_HASH_OPTIONS } from './auth/services/password-hasher';
export { SessionExpiryJob } from './auth/services/session-expiry.job';
