/**
 * The service-only phases of `npm run bench` (no floor to compare with):
 * - login: throughput against the raw argon2 verification rate of this machine with the
 *   service's own parameters (a login is one argon2id verification; the ratio shows whether
 *   anything but the hash limits it);
 * - refresh: throughput, each request rotating a distinct live refresh token;
 * - the seeding both need.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import { type Client } from 'pg';
import { seedSessions } from './seed';

/** Live sessions with refresh tokens whose plaintext the bench knows, spread over `userIds`. */
export async function seedRefreshTokens(
  db: Client,
  userIds: readonly string[],
  count: number,
): Promise<string[]> {
  const tokens = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  const hashes = tokens.map((token) => createHash('sha256').update(token).digest());
  await seedSessions(db, userIds, count, hashes);
  return tokens;
}

/** The emails of the seeded users (bench/seed.ts `seedUsers`), all with the bench password. */
export async function seededEmails(db: Client): Promise<string[]> {
  const { rows } = await db.query<{ email: string }>('SELECT email FROM users ORDER BY email');
  return rows.map((row) => row.email);
}

export async function passwordHashOf(db: Client, email: string): Promise<string> {
  const { rows } = await db.query<{ password_hash: string }>(
    'SELECT password_hash FROM users WHERE email = $1',
    [email],
  );
  return rows[0].password_hash;
}

/**
 * argon2 verifications per second in this process, with the stored hash's own parameters,
 * `concurrency` at a time (enough to keep libuv's pool busy, as the service's logins do).
 */
export async function argon2VerifyRate(
  hash: string,
  password: string,
  seconds: number,
  concurrency = 8,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (!(await argon2.verify(hash, password))) throw new Error('argon2: wrong bench password');
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

/** Hands out each item once, then flags exhaustion (the run reused one). */
export function once<T>(items: readonly T[]) {
  const state = { used: 0, exhausted: false };
  return {
    state,
    next: (): T => {
      if (state.used >= items.length) state.exhausted = true;
      return items[state.used++ % items.length];
    },
  };
}
