import { AuthClient, AuthClientError, memoryTokenStore } from '../src';
import { registerUser, startService, type ListeningService } from './utils/listening-service';
import { barrierFetch, recordingFetch } from './utils/recording-fetch';

/** The client's view of time: tests move it past the refresh point; the service's clock stays. */
class ClientClock {
  private skew = 0;
  readonly now = () => Date.now() + this.skew;
  /** Past the refresh point of a 15-minute access token, still within its real validity. */
  nearExpiry(): void {
    this.skew += 14.5 * 60_000;
  }
}

let channels = 0;
const channelName = () => `client-e2e-${process.pid}-${channels++}`;

describe('AuthClient against the real service', () => {
  let service: ListeningService;
  const clients: AuthClient[] = [];

  const client = (options: Partial<ConstructorParameters<typeof AuthClient>[0]> = {}) => {
    const created = new AuthClient({ baseUrl: service.baseUrl, ...options });
    clients.push(created);
    return created;
  };

  const liveSessions = async (accessToken: string) => {
    const response = await fetch(`${service.baseUrl}/auth/sessions`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    return (await response.json()) as { id: string }[];
  };

  beforeAll(async () => {
    service = await startService({ env: { LOGOUT_RATE_LIMIT: '2' } });
  });
  afterEach(() => {
    for (const created of clients.splice(0)) created.close();
  });
  afterAll(() => service.close());

  it('signs in and calls protected endpoints with typed responses', async () => {
    const user = await registerUser(service.baseUrl);
    const auth = client({ name: channelName() });
    const signedIn = await auth.login(user.email, user.password);
    expect(signedIn.email).toBe(user.email);

    const { data, response } = await auth.api.GET('/auth/me');
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ email: user.email, sessionId: auth.sessionId });
  });

  it('reauthenticates: a fresh auth_time for the same session, shared with the other tabs', async () => {
    const user = await registerUser(service.baseUrl);
    const name = channelName();
    const sent = recordingFetch();
    const auth = client({ name, fetch: sent.fetch });
    await auth.login(user.email, user.password);
    const other = client({ name });
    await new Promise<void>((resolve) => other.onChange(() => resolve()));
    const authTime = (token: string) =>
      (
        JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
          auth_time: number;
        }
      ).auth_time;
    const before = await auth.accessToken();
    service.clock.advance(60_000);
    const shared = new Promise<void>((resolve) => other.onChange(() => resolve()));

    await auth.reauthenticate(user.password);

    await shared;
    const after = await auth.accessToken();
    expect(authTime(after)).toBeGreaterThan(authTime(before));
    expect(await other.accessToken()).toBe(after);
    await expect(auth.reauthenticate('not the password')).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    expect(auth.sessionId).not.toBeNull();
    // A wrong password is a 401 on a good token: no refresh, no second password attempt.
    expect(sent.paths).toEqual(['/auth/login', '/auth/reauthenticate', '/auth/reauthenticate']);
  });

  it('refuses a wrong password with the service code and stays signed out', async () => {
    const user = await registerUser(service.baseUrl);
    const auth = client({ name: channelName() });
    await expect(auth.login(user.email, 'not the password')).rejects.toMatchObject({
      code: 'invalid_credentials',
      status: 401,
    });
    expect(auth.user).toBeNull();
    await expect(auth.api.GET('/auth/me')).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('refreshes before the access token expires, once for many concurrent calls', async () => {
    const user = await registerUser(service.baseUrl);
    const clock = new ClientClock();
    const sent = recordingFetch();
    const auth = client({ name: channelName(), now: clock.now, fetch: sent.fetch });
    await auth.login(user.email, user.password);
    const firstToken = await auth.accessToken();

    clock.nearExpiry();
    const results = await Promise.all(Array.from({ length: 8 }, () => auth.api.GET('/auth/me')));

    expect(results.map((result) => result.response.status)).toEqual(Array(8).fill(200));
    expect(sent.count('/auth/refresh')).toBe(1);
    expect(sent.paths.indexOf('/auth/refresh')).toBeLessThan(sent.paths.indexOf('/auth/me'));
    const renewed = await auth.accessToken();
    expect(renewed).not.toBe(firstToken);
    expect(await liveSessions(renewed)).toHaveLength(1);
  });

  it('takes the winning refresh’s tokens when its own refresh loses the race (409)', async () => {
    const user = await registerUser(service.baseUrl);
    const name = channelName();
    const clock = new ClientClock();
    const sent = recordingFetch();
    // Two clients of one sign-in (two tabs without Web Locks): both refresh the same token at once.
    const together = barrierFetch('/auth/refresh', 2, sent.fetch);
    const first = client({ name, now: clock.now, fetch: together, crossTabLock: false });
    await first.login(user.email, user.password);
    const second = client({ name, now: clock.now, fetch: together, crossTabLock: false });
    await new Promise<void>((resolve) => second.onChange(() => resolve()));
    expect(second.sessionId).toBe(first.sessionId);

    clock.nearExpiry();
    const [a, b] = await Promise.all([first.api.GET('/auth/me'), second.api.GET('/auth/me')]);

    expect([a.response.status, b.response.status]).toEqual([200, 200]);
    expect(sent.count('/auth/refresh')).toBe(2);
    const tokenOfFirst = await first.accessToken();
    expect(await second.accessToken()).toBe(tokenOfFirst);
    expect(await liveSessions(tokenOfFirst)).toHaveLength(1);
    // The shared pair is live: another rotation works and both clients still answer.
    await second.refresh();
    expect((await first.api.GET('/auth/me')).response.status).toBe(200);
  });

  it.each([
    ['its own store, the pair arriving over the channel', false],
    ['a shared store', true],
  ])('with the lock and %s, only one refresh reaches the service', async (_, shareStore) => {
    const user = await registerUser(service.baseUrl);
    const name = channelName();
    const clock = new ClientClock();
    const sent = recordingFetch();
    const shared = memoryTokenStore();
    const store = () => (shareStore ? shared : memoryTokenStore());
    const first = client({ name, store: store(), now: clock.now, fetch: sent.fetch });
    await first.login(user.email, user.password);
    const second = client({ name, store: store(), now: clock.now, fetch: sent.fetch });
    await second.accessToken().catch(() => new Promise((resolve) => second.onChange(resolve)));

    clock.nearExpiry();
    const [a, b] = await Promise.all([first.api.GET('/auth/me'), second.api.GET('/auth/me')]);

    expect([a.response.status, b.response.status]).toEqual([200, 200]);
    expect(sent.count('/auth/refresh')).toBe(1);
    expect(await second.accessToken()).toBe(await first.accessToken());
  });

  it('logout ends the session at the service and signs out every client of the channel', async () => {
    const user = await registerUser(service.baseUrl);
    const name = channelName();
    const first = client({ name });
    await first.login(user.email, user.password);
    const second = client({ name });
    await new Promise<void>((resolve) => second.onChange(() => resolve()));
    const token = await first.accessToken();
    const signedOut = new Promise<void>((resolve) =>
      second.onChange((tokens) => tokens === null && resolve()),
    );

    await expect(first.logout('local')).resolves.toEqual({ confirmed: true });

    await signedOut;
    expect([first.user, second.user]).toEqual([null, null]);
    const refused = await fetch(`${service.baseUrl}/auth/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(refused.status).toBe(401);
  });

  it('logout clears the client even when the service cannot be reached', async () => {
    const user = await registerUser(service.baseUrl);
    let reachable = true;
    const auth = client({
      name: channelName(),
      fetch: (request) =>
        reachable ? fetch(request) : Promise.reject(new TypeError('fetch failed')),
    });
    await auth.login(user.email, user.password);
    reachable = false;

    await expect(auth.logout()).resolves.toEqual({ confirmed: false });

    expect(auth.user).toBeNull();
    await expect(auth.accessToken()).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('a session ended elsewhere signs the client out at its next refresh', async () => {
    const user = await registerUser(service.baseUrl);
    const clock = new ClientClock();
    const auth = client({ name: channelName(), now: clock.now });
    await auth.login(user.email, user.password);
    const other = client({ name: channelName() });
    await other.login(user.email, user.password);
    await other.logout('global');

    clock.nearExpiry();
    const failure = await auth.api.GET('/auth/me').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AuthClientError);
    expect(failure).toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    expect(auth.user).toBeNull();
  });

  it('honours Retry-After from a rate-limited endpoint', async () => {
    const user = await registerUser(service.baseUrl);
    const delays: number[] = [];
    const auth = client({
      name: channelName(),
      retry: { maxRetries: 2, maxDelaySeconds: 3600 },
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    await auth.login(user.email, user.password);
    // LOGOUT_RATE_LIMIT is 2 here: the third `others` logout of the window is refused.
    for (let i = 0; i < 2; i++) await auth.logout('others');
    const { response } = await auth.api.POST('/auth/logout', { body: { scope: 'others' } });

    // Asked twice to wait (the header's seconds, shrinking as the window runs out), then refused.
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(response.status).toBe(429);
    expect(retryAfter).toBeGreaterThan(0);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(delays[1]);
    expect(delays[1]).toBeGreaterThanOrEqual(retryAfter * 1000);
    expect(delays[0]).toBeLessThanOrEqual(5 * 60_000);
    expect(auth.user).not.toBeNull();
  });
});
