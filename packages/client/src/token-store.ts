import { isTokenSet, type TokenSet } from './token-set.js';

/**
 * Where the client keeps its tokens between calls. Synchronous on purpose: inside the refresh
 * lock a tab re-reads it, and a shared store (localStorage) then shows another tab's refresh at once.
 */
export interface TokenStore {
  load(): TokenSet | null;
  save(tokens: TokenSet | null): void;
}

/** The default: tokens live only in this page or process (other tabs get them over the channel). */
export function memoryTokenStore(): TokenStore {
  let tokens: TokenSet | null = null;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}

/** The part of the Web Storage API the store uses (localStorage, sessionStorage, or a stand-in). */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Tokens in Web Storage: they survive a reload and every tab of the origin reads the same pair.
 * Anything that runs script in the origin can read them too (as it could call the API anyway).
 */
export function webStorageTokenStore(
  storage: WebStorageLike,
  key = 'auth-service.tokens',
): TokenStore {
  return {
    load: () => {
      const raw = storage.getItem(key);
      if (raw === null) return null;
      try {
        const parsed: unknown = JSON.parse(raw);
        return isTokenSet(parsed) ? parsed : null;
      } catch {
        return null;
      }
    },
    save: (tokens) => {
      if (tokens === null) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(tokens));
    },
  };
}
