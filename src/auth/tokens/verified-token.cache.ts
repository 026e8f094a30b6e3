import { type AccessTokenClaims } from './access-token-claims';

/** Enough for every token in use on a busy instance; the oldest entries go first beyond it. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Tokens whose signature and claims were verified, keyed on the exact token text, so the
 * same bytes are not verified again. Bounded (oldest inserted goes first) and an entry is
 * never used at or past the token's `exp`. Only a verdict on the token's bytes is kept:
 * whether its session is still live is asked on every request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AccessTokenClaims>();

  constructor(private readonly capacity = VERIFIED_TOKEN_CACHE_SIZE) {}

  get(token: string, nowSeconds: number): AccessTokenClaims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    if (claims.exp <= nowSeconds) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: AccessTokenClaims): void {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
