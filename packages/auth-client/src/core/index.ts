/** Framework-neutral core: usable from Express, Fastify or any Node HTTP server. */
export { AuthClient } from './auth-client';
export { AuthClientError, type AuthClientErrorCode } from './auth-client.error';
export type { AuthClientOptions, Delivery } from './auth-client.options';
export {
  ACCESS_TOKEN_TYPE,
  SIGNING_ALGORITHM,
  type AuthenticatedUser,
} from './access-token.verifier';
export { type AuthClientLogger } from './logger';
export { type ReceivedSecurityEvent } from './security-event';
export { SECURITY_EVENT_TYPE } from './security-event.verifier';
export { SECURITY_EVENT_CONTENT_TYPE, type PushResult } from './stream.client';
export { CREDENTIAL_CHANGE, SESSION_REVOKED, VERIFICATION } from './event-types';
export { createNodePushHandler } from './node-push.handler';
