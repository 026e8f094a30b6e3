export { AuthClient } from './auth-client.js';
export type { AuthClientOptions, LogoutResult, LogoutScope } from './auth-client.options.js';
export { AuthClientError, CLIENT_ERROR } from './auth-client.error.js';
export type { SignedInUser, TokenSet } from './token-set.js';
export {
  memoryTokenStore,
  webStorageTokenStore,
  type TokenStore,
  type WebStorageLike,
} from './token-store.js';
export type { components, paths } from './generated/openapi.js';
