import { createHash } from 'node:crypto';
import { RefreshTokenCodec } from './refresh-token.codec';

describe('RefreshTokenCodec', () => {
  it('generates 256 random bits, base64url-encoded without padding', () => {
    const { token } = RefreshTokenCodec.generate();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('pairs each token with its SHA-256, the only thing stored', () => {
    const { token, hash } = RefreshTokenCodec.generate();
    expect(hash).toEqual(createHash('sha256').update(token).digest());
    expect(hash).toHaveLength(32);
    expect(hash.toString('utf8')).not.toContain(token);
  });

  it('never repeats a token', () => {
    const tokens = new Set(Array.from({ length: 1_000 }, () => RefreshTokenCodec.generate().token));
    expect(tokens.size).toBe(1_000);
  });

  it('hashes deterministically, and different tokens differently', () => {
    const { token } = RefreshTokenCodec.generate();
    expect(RefreshTokenCodec.hash(token)).toEqual(RefreshTokenCodec.hash(token));
    expect(RefreshTokenCodec.hash(token)).not.toEqual(RefreshTokenCodec.hash(`${token}x`));
  });

  it('recognises its own tokens as well formed', () => {
    for (let i = 0; i < 100; i++) {
      expect(RefreshTokenCodec.isWellFormed(RefreshTokenCodec.generate().token)).toBe(true);
    }
  });

  it.each([
    ['an empty string', ''],
    ['42 characters', 'a'.repeat(42)],
    ['44 characters', 'a'.repeat(44)],
    ['standard base64 characters', `${'a'.repeat(41)}+/`],
    ['padding', `${'a'.repeat(42)}=`],
    ['whitespace', `${'a'.repeat(42)} `],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
  ])('refuses %s as malformed', (_case, token) => {
    expect(RefreshTokenCodec.isWellFormed(token)).toBe(false);
  });
});
