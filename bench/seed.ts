/**
 * Seeding for the bench: users, live sessions with their refresh tokens (one set-based
 * statement per batch), and access tokens for them signed with the service's own key,
 * with exactly the header and claims `AccessTokenService` issues.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { type Client } from 'pg';

export const ISSUER = 'auth-service';
export const AUDIENCE = 'auth-service';
/** The service's default `ACCESS_TOKEN_TTL`. */
const ACCESS_TOKEN_TTL_S = 15 * 60;

export interface ServiceSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface SeededSession {
  userId: string;
  sessionId: string;
  authTime: number;
}

export interface TokenBatch {
  label: string;
  sessionIds: string[];
  tokens: string[];
}

export async function readSigningKey(db: Client): Promise<ServiceSigningKey> {
  const { rows } = await db.query<{ kid: string; private_key_pem: string }>(
    'SELECT kid, private_key_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1',
  );
  if (rows.length === 0) throw new Error('signing_keys is empty: has the service started?');
  const privateKey = createPrivateKey(rows[0].private_key_pem);
  return { kid: rows[0].kid, privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * Adds `count - 1` users next to the registered one (same password hash; nobody logs in as
 * them), so seeded sessions, rate-limit buckets and audit rows spread over many users as
 * they would in production. Returns every user id, the registered user's first.
 */
export async function seedUsers(db: Client, registeredUserId: string, count: number) {
  await db.query(
    `INSERT INTO users (email, password_hash, roles)
     SELECT 'bench-' || g || '@bench.invalid', u.password_hash, '{}'
     FROM generate_series(1, $2::int - 1) g, users u WHERE u.id = $1`,
    [registeredUserId, count],
  );
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM users ORDER BY (id = $1) DESC, id',
    [registeredUserId],
  );
  return rows.map((row) => row.id);
}

/**
 * `count` live sessions (30-day expiry, just active) spread round-robin over `userIds`, each
 * with a refresh token: the i-th stored as `tokenHashes[i]` when given (the caller knows the
 * plaintext), random otherwise.
 */
export async function seedSessions(
  db: Client,
  userIds: readonly string[],
  count: number,
  tokenHashes?: readonly Buffer[],
): Promise<SeededSession[]> {
  const { rows } = await db.query<{ id: string; user_id: string; auth_time: number }>(
    `WITH s AS (
       INSERT INTO sessions (user_id, created_at, last_active_at, expires_at, auth_time,
         ip_address, user_agent)
       SELECT ($2::uuid[])[1 + g % cardinality($2::uuid[])], now(), now(),
         now() + interval '30 days', now(), '127.0.0.1', 'bench-seed'
       FROM generate_series(0, $1::int - 1) g
       RETURNING id, user_id, auth_time
     ), r AS (
       INSERT INTO refresh_tokens (session_id, token_hash, created_at)
       SELECT id, coalesce(($3::bytea[])[n],
         uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), now()
       FROM (SELECT id, row_number() OVER () AS n FROM s) numbered
     )
     SELECT id, user_id, floor(extract(epoch FROM auth_time))::int AS auth_time FROM s`,
    [count, userIds, tokenHashes ?? null],
  );
  // Fresh statistics and a clean visibility map, and no checkpoint of the seeding's WAL
  // landing inside a measured window.
  await db.query('VACUUM ANALYZE users, sessions, refresh_tokens');
  await db.query('CHECKPOINT');
  return rows.map((row) => ({ userId: row.user_id, sessionId: row.id, authTime: row.auth_time }));
}

/** An access token exactly like `AccessTokenService.issue` makes: same header, same claims. */
export function mintAccessToken(key: ServiceSigningKey, session: SeededSession): string {
  const iat = Math.floor(Date.now() / 1000);
  return sign(
    {
      sid: session.sessionId,
      roles: [],
      auth_time: session.authTime,
      iat,
      exp: iat + ACCESS_TOKEN_TTL_S,
      aud: AUDIENCE,
      iss: ISSUER,
      sub: session.userId,
      jti: randomUUID(),
    },
    key.privateKey,
    { algorithm: 'ES256', header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid } },
  );
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Seeds `count` live sessions and mints one access token for each, in random order. */
export async function seedTokenBatch(
  db: Client,
  key: ServiceSigningKey,
  userIds: readonly string[],
  count: number,
  label: string,
): Promise<TokenBatch> {
  const sessions = shuffle(await seedSessions(db, userIds, count));
  return {
    label,
    sessionIds: sessions.map((session) => session.sessionId),
    tokens: sessions.map((session) => mintAccessToken(key, session)),
  };
}

export interface LogoutEffects {
  /** Sessions of the batch that have ended. */
  sessionsEnded: number;
  /** Refresh tokens of the batch's sessions that are revoked. */
  refreshTokensRevoked: number;
  /** Successful `logout` audit events naming a session of the batch. */
  auditEvents: number;
}

/** What a batch's logouts did in the database: the proof that each one ended a distinct live session. */
export async function logoutEffects(db: Client, batch: TokenBatch): Promise<LogoutEffects> {
  const { rows } = await db.query<{ ended: number; revoked: number; audited: number }>(
    `SELECT
       (SELECT count(*) FROM sessions WHERE id = ANY($1::uuid[]) AND ended_at IS NOT NULL
          AND end_reason = 'logout')::int AS ended,
       (SELECT count(*) FROM refresh_tokens WHERE session_id = ANY($1::uuid[])
          AND revoked_at IS NOT NULL)::int AS revoked,
       (SELECT count(*) FROM audit_events WHERE session_id = ANY($1::uuid[])
          AND action = 'logout' AND outcome = 'success')::int AS audited`,
    [batch.sessionIds],
  );
  return {
    sessionsEnded: rows[0].ended,
    refreshTokensRevoked: rows[0].revoked,
    auditEvents: rows[0].audited,
  };
}
