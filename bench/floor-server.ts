/**
 * The floor: the least work that the service's logout and `GET /auth/me` could possibly do,
 * on bare `node:http` + `pg`, so the bench can say how much the framework and the extra
 * contract machinery (rate limit, revocation cache, request ids, validation) cost.
 *
 * Logout: verify the ES256 token, then ONE statement that ends the session, revokes its
 * refresh tokens and inserts the audit row (as `SessionRepository.endSessions` does).
 * Read: verify the token, then one `SELECT` of the session joined to its user, refusing an
 * ended or expired session. Both are named prepared statements (parsed once per connection),
 * as in the shared yardstick's floor (/work/shared/bench/floor.mjs), so both benches agree.
 *
 * Environment: DATABASE_URL, PORT, and optionally JWT_ISSUER / JWT_AUDIENCE. The public
 * key is derived from the service's own signing key, read from `signing_keys`.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type JwtPayload, verify } from 'jsonwebtoken';
import { Pool } from 'pg';

const ISSUER = process.env.JWT_ISSUER ?? 'auth-service';
const AUDIENCE = process.env.JWT_AUDIENCE ?? 'auth-service';
const MAX_BODY = 100 * 1024;

const LOGOUT_SQL = `WITH ended AS (
    UPDATE sessions SET ended_at = $3, end_reason = 'logout', reauthenticated_at = NULL
    WHERE user_id = $1 AND id = $2 AND ended_at IS NULL
    RETURNING id
  ), revoked AS (
    UPDATE refresh_tokens SET revoked_at = $3
    WHERE session_id IN (SELECT id FROM ended) AND revoked_at IS NULL
  ), audit AS (
    INSERT INTO audit_events (occurred_at, action, outcome, actor_user_id, subject_user_id,
      session_id, scope, reason, ip_address, user_agent, request_id)
    VALUES ($3, 'logout', 'success', $1, $1, $2, 'local', NULL, $4, $5, $6)
  )
  SELECT id FROM ended`;

const READ_SQL = `SELECT u.id, u.email, u.roles
  FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = $2 AND s.user_id = $1 AND s.ended_at IS NULL AND s.expires_at > now()`;

interface Bearer {
  userId: string;
  sessionId: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
  });
  response.end(json);
}

function authenticate(request: IncomingMessage, publicKey: KeyObject): Bearer {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) throw new HttpError(401, 'missing token');
  let payload: JwtPayload;
  try {
    payload = verify(header.slice(7), publicKey, {
      algorithms: ['ES256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    }) as JwtPayload;
  } catch {
    throw new HttpError(401, 'invalid token');
  }
  const sid = (payload as Record<string, unknown>).sid;
  if (typeof payload.sub !== 'string' || typeof sid !== 'string') {
    throw new HttpError(401, 'invalid token');
  }
  return { userId: payload.sub, sessionId: sid };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const port = Number(process.env.PORT ?? 0);
  // The service's pool settings (src/database/data-source.factory.ts).
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 20,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });

  const keys = await pool.query<{ private_key_pem: string }>(
    'SELECT private_key_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1',
  );
  if (keys.rows.length === 0) throw new Error('no signing key in signing_keys');
  // Parsed once: the floor does the least work, and a KeyObject spares a PEM parse per request.
  const publicKey = createPublicKey(createPrivateKey(keys.rows[0].private_key_pem));

  async function logout(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const bearer = authenticate(request, publicKey);
    const body = await readJson(request);
    const scope = (body as { scope?: unknown } | null)?.scope;
    if (scope !== 'local') throw new HttpError(400, 'the floor only does scope "local"');
    const at = new Date();
    const userAgent = request.headers['user-agent'];
    await pool.query({ name: 'floor_logout', text: LOGOUT_SQL }, [
      bearer.userId,
      bearer.sessionId,
      at,
      request.socket.remoteAddress ?? null,
      userAgent ? userAgent.slice(0, 512) : null,
      randomUUID(),
    ]);
    send(response, 200, { message: 'Logged out of this session', timestamp: at.toISOString() });
  }

  async function me(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const bearer = authenticate(request, publicKey);
    const result = await pool.query<{ id: string; email: string; roles: string[] }>(
      { name: 'floor_read', text: READ_SQL },
      [bearer.userId, bearer.sessionId],
    );
    const user = result.rows[0];
    if (!user) throw new HttpError(401, 'no such user');
    send(response, 200, { ...user, sessionId: bearer.sessionId });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (request.method === 'POST' && request.url === '/auth/logout') {
        await logout(request, response);
      } else if (request.method === 'GET' && request.url === '/auth/me') {
        await me(request, response);
      } else {
        throw new HttpError(404, 'not found');
      }
    } catch (error) {
      if (error instanceof HttpError) {
        send(response, error.status, { statusCode: error.status, message: error.message });
      } else {
        console.error(error);
        send(response, 500, { statusCode: 500, message: 'internal error' });
      }
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    console.log(
      `floor server listening on ${typeof address === 'object' && address ? address.port : port}`,
    );
  });

  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
