import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;
const ENCODED_LENGTH = 43;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface GeneratedRefreshToken {
  token: string;
  hash: Buffer;
}

/**
 * Refresh tokens are 256 random bits, handed out once and stored only as SHA-256. A fast
 * hash is enough: with that much entropy there is nothing to brute-force, and lookups go
 * through a unique index on the hash, so no secret is ever compared byte by byte.
 */
export const RefreshTokenCodec = {
  generate(): GeneratedRefreshToken {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    return { token, hash: RefreshTokenCodec.hash(token) };
  },

  hash(token: string): Buffer {
    return createHash('sha256').update(token).digest();
  },

  /** Cheap shape check: anything else cannot be one of ours and skips the database. */
  isWellFormed(token: string): boolean {
    return token.length === ENCODED_LENGTH && BASE64URL.test(token);
  },
};
