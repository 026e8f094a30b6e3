import { type TokenStore } from './token-store.js';

export interface AuthClientOptions {
  /** The service's base URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** Where tokens live between calls: `memoryTokenStore()` (default) or `webStorageTokenStore(localStorage)`. */
  store?: TokenStore;
  /**
   * Clients with the same name (the tabs of one origin, the clients of one process) share their
   * tokens over a BroadcastChannel and refresh one at a time. Default `auth-service`.
   */
  name?: string;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 60. */
  refreshMarginSeconds?: number;
  /** Serialise refreshes across tabs with Web Locks (in-process queue where missing). Default true. */
  crossTabLock?: boolean;
  /** How long a refresh answered 409 waits for the winning refresh's tokens. Default 5000. */
  conflictWaitMs?: number;
  /** Retries after 429 or 503 (default 2), each after `Retry-After` if at most `maxDelaySeconds` (default 30). */
  retry?: { maxRetries?: number; maxDelaySeconds?: number };
  /** Replacements for tests and unusual runtimes. */
  fetch?: (request: Request) => Promise<Response>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type LogoutScope = 'global' | 'local' | 'others';

export interface LogoutResult {
  /** The service confirmed the logout; false when it could not be reached or refused. Local state is cleared either way. */
  confirmed: boolean;
}
