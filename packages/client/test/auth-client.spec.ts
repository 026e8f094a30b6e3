import { AuthClient, memoryTokenStore } from '../src';
import { type TokenSet } from '../src/token-set';

/**
 * Behaviour the real service cannot be made to show on demand: a winner whose pair never
 * arrives, a network that fails mid-logout. Everything else is tested against the service.
 */
const BASE = 'http://auth.test';
let names = 0;

function signedIn(now: number, overrides: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    sessionId: 'session-1',
    user: { id: 'user-1', email: 'a@example.com', roles: [] },
    expiresAt: now + 900_000,
    receivedAt: now,
    ...overrides,
  };
}

function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    }),
  );
}

describe('AuthClient', () => {
  const clients: AuthClient[] = [];
  afterEach(() => clients.splice(0).forEach((client) => client.close()));

  function client(
    fetch: (request: Request) => Promise<Response>,
    tokens: TokenSet | null,
    now = 0,
  ) {
    const store = memoryTokenStore();
    store.save(tokens);
    const created = new AuthClient({
      baseUrl: BASE,
      name: `unit-${names++}`,
      store,
      fetch,
      now: () => now,
      conflictWaitMs: 10,
    });
    clients.push(created);
    return created;
  }

  it('signs out alone when it lost a refresh (409) and the winner’s pair never arrives', async () => {
    const sent: string[] = [];
    const auth = client(
      (request) => {
        sent.push(new URL(request.url).pathname);
        return json(409, {
          statusCode: 409,
          error: 'Conflict',
          message: 'raced',
          code: 'refresh_conflict',
        });
      },
      signedIn(0, { expiresAt: 1 }),
      10,
    );

    await expect(auth.accessToken()).rejects.toMatchObject({
      code: 'refresh_conflict_unresolved',
      status: 409,
    });
    // The retired refresh token is never presented again (that would look like theft).
    expect(auth.user).toBeNull();
    expect(sent).toEqual(['/auth/refresh']);
  });

  it('logout clears the client first, even when the network fails half-way', async () => {
    const sent: string[] = [];
    const auth = client(
      (request) => {
        sent.push(new URL(request.url).pathname);
        if (sent.length === 1)
          return json(200, {
            accessToken: 'access-2',
            refreshToken: 'refresh-2',
            tokenType: 'Bearer',
            expiresIn: 900,
            sessionId: 'session-1',
            user: signedIn(0).user,
          });
        return Promise.reject(new TypeError('fetch failed'));
      },
      signedIn(0, { expiresAt: 1 }),
      10,
    );
    const changes: (TokenSet | null)[] = [];
    auth.onChange((tokens) => changes.push(tokens));

    await expect(auth.logout('local')).resolves.toEqual({ confirmed: false });

    // The expired access token was renewed for the logout call itself, which then failed.
    expect(sent).toEqual(['/auth/refresh', '/auth/logout']);
    expect(changes).toEqual([null]);
    expect(auth.user).toBeNull();
  });

  it('a token refused as invalid_token gets one refresh and one retry', async () => {
    const sent: string[] = [];
    const pair = {
      tokenType: 'Bearer',
      expiresIn: 900,
      sessionId: 'session-1',
      user: signedIn(0).user,
    };
    const auth = client((request) => {
      const path = new URL(request.url).pathname;
      sent.push(`${path} ${request.headers.get('Authorization') ?? ''}`.trim());
      if (path === '/auth/refresh')
        return json(200, { ...pair, accessToken: 'access-2', refreshToken: 'refresh-2' });
      if (request.headers.get('Authorization') === 'Bearer access-1')
        return json(
          401,
          { code: 'invalid_token' },
          { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        );
      return json(200, { id: 'user-1', email: 'a@example.com', roles: [], sessionId: 'session-1' });
    }, signedIn(0));

    const { response } = await auth.api.GET('/auth/me');

    expect(response.status).toBe(200);
    expect(sent).toEqual(['/auth/me Bearer access-1', '/auth/refresh', '/auth/me Bearer access-2']);
  });

  it('keeps its tokens when a refresh is rate limited, and says how long to wait', async () => {
    const auth = client(
      () => json(429, { code: 'rate_limited', message: 'slow down' }, { 'Retry-After': '120' }),
      signedIn(0, { expiresAt: 1 }),
      10,
    );
    await expect(auth.refresh()).rejects.toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfter: 120,
    });
    expect(auth.sessionId).toBe('session-1');
  });
});
