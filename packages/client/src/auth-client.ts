import createClient, { type Client } from 'openapi-fetch';
import {
  type AuthClientOptions,
  type LogoutResult,
  type LogoutScope,
} from './auth-client.options.js';
import {
  AuthClientError,
  CLIENT_ERROR,
  errorFromResponse,
  notSignedIn,
} from './auth-client.error.js';
import type { paths } from './generated/openapi.js';
import { type RefreshLock, refreshLock } from './refresh-lock.js';
import { retryAfterSeconds, type RetryPolicy, sendHonouringRetryAfter } from './retry-after.js';
import { openTabChannel, type TabChannel, type TabMessage } from './tab-channel.js';
import { type SignedInUser, type TokenSet, tokenSetFrom } from './token-set.js';
import { memoryTokenStore, type TokenStore } from './token-store.js';

type Listener = (tokens: TokenSet | null) => void;
/** Someone waiting for a newer pair of one session: resolved with it, or null (gave up, failed). */
type Waiter = {
  sessionId: string;
  accepts: (tokens: TokenSet) => boolean;
  resolve: (tokens: TokenSet | null) => void;
};

/**
 * The service's user endpoints with the token lifecycle handled: the access token is refreshed
 * before it expires, one refresh runs at a time (across tabs too), a refresh that lost the race
 * (409) takes the winner's tokens, 429 and 503 are retried after `Retry-After`, and logout
 * always leaves the client signed out.
 */
export class AuthClient {
  /** Typed calls that carry the access token: `await auth.api.GET('/auth/sessions')`. */
  readonly api: Client<paths>;
  /** Typed calls without credentials (login, register, refresh use it). */
  private readonly anonymous: Client<paths>;
  private readonly store: TokenStore;
  private readonly channel: TabChannel;
  private readonly lock: RefreshLock;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly fetchImpl: (request: Request) => Promise<Response>;
  private readonly refreshMarginMs: number;
  private readonly conflictWaitMs: number;
  private tokens: TokenSet | null;
  private refreshing: Promise<TokenSet> | null = null;
  /** Bumped on every sign-out, so a refresh that was under way cannot sign the client back in. */
  private generation = 0;
  private readonly endedSessions = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private readonly waiters = new Set<Waiter>();

  constructor(options: AuthClientOptions) {
    const name = options.name ?? 'auth-service';
    this.now = options.now ?? Date.now;
    this.store = options.store ?? memoryTokenStore();
    this.refreshMarginMs = (options.refreshMarginSeconds ?? 60) * 1000;
    this.conflictWaitMs = options.conflictWaitMs ?? 5000;
    const fetchImpl = options.fetch ?? ((request: Request) => globalThis.fetch(request));
    this.fetchImpl = async (request) => {
      try {
        return await fetchImpl(request);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new AuthClientError(
          CLIENT_ERROR.network,
          `The service could not be reached: ${reason}`,
        );
      }
    };
    this.retry = {
      maxRetries: options.retry?.maxRetries ?? 2,
      maxDelaySeconds: options.retry?.maxDelaySeconds ?? 30,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: this.now,
    };
    this.lock = refreshLock(`${name}:refresh`, options.crossTabLock ?? true);
    this.tokens = this.store.load();
    // Tokens travel in headers only: never send or store cookies, never cache an answer.
    const init = { baseUrl: options.baseUrl, credentials: 'omit', cache: 'no-store' } as const;
    this.anonymous = createClient<paths>({ ...init, fetch: (r) => this.send(r) });
    this.api = createClient<paths>({ ...init, fetch: (r) => this.authorizedFetch(r) });
    this.channel = openTabChannel(name, (message) => this.onTabMessage(message));
    if (this.tokens === null) this.channel.post({ type: 'sync-request' });
  }

  /** The signed-in user, or null. */
  get user(): SignedInUser | null {
    return this.current()?.user ?? null;
  }

  get sessionId(): string | null {
    return this.current()?.sessionId ?? null;
  }

  /** Called with the new pair on sign-in and refresh (here or in another tab), with null on sign-out. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async register(email: string, password: string): Promise<{ id: string; email: string }> {
    const { data, error, response } = await this.anonymous.POST('/auth/register', {
      body: { email, password },
    });
    if (!data) throw this.failure(response, error);
    return data;
  }

  async login(email: string, password: string): Promise<SignedInUser> {
    const { data, error, response } = await this.anonymous.POST('/auth/login', {
      body: { email, password },
    });
    if (!data) throw this.failure(response, error);
    return this.adopt(tokenSetFrom(data, this.now()), true).user;
  }

  /** A usable access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const tokens = this.current();
    if (tokens === null) throw notSignedIn();
    return this.isExpiring(tokens)
      ? (await this.refreshFrom(tokens)).accessToken
      : tokens.accessToken;
  }

  /**
   * Proves the password again (step-up): the session's access token is replaced by one with a
   * fresh `auth_time`, here and in every tab; the refresh token is unchanged.
   */
  async reauthenticate(password: string): Promise<void> {
    const { data, error, response } = await this.api.POST('/auth/reauthenticate', {
      body: { password },
    });
    if (!data) throw this.failure(response, error);
    const tokens = this.current();
    if (tokens === null) throw notSignedIn();
    const now = this.now();
    this.adopt(
      {
        ...tokens,
        accessToken: data.accessToken,
        expiresAt: now + data.expiresIn * 1000,
        receivedAt: now,
      },
      true,
    );
  }

  /** Rotates the refresh token now (normally the client does it when needed). */
  async refresh(): Promise<void> {
    const tokens = this.current();
    if (tokens === null) throw notSignedIn();
    await this.refreshFrom(tokens);
  }

  /**
   * Ends the session(s) at the service (`scope` as the service takes it; its default is
   * `global`). Unless the scope is `others`, this client and its tabs are signed out at once,
   * before the network is involved: a logout never leaves tokens behind, even when the call fails.
   */
  async logout(scope?: LogoutScope): Promise<LogoutResult> {
    const tokens = this.current();
    if (tokens === null) return { confirmed: false };
    const body = scope === undefined ? undefined : { scope };
    try {
      if (scope === 'others') {
        const { response } = await this.api.POST('/auth/logout', { body });
        return { confirmed: response.ok };
      }
      this.signOut(tokens.sessionId, true);
      const accessToken = this.isExpiring(tokens)
        ? await this.renewForLogout(tokens)
        : tokens.accessToken;
      if (accessToken === null) return { confirmed: true };
      const { response } = await this.anonymous.POST('/auth/logout', {
        body,
        headers: { Authorization: `Bearer ${accessToken}` },
      });
      return { confirmed: response.ok };
    } catch {
      return { confirmed: false };
    }
  }

  /** Stops listening to the other tabs. */
  close(): void {
    this.channel.close();
    for (const waiter of this.waiters) waiter.resolve(null);
    this.waiters.clear();
  }

  private isExpiring(tokens: TokenSet): boolean {
    const margin = Math.min(this.refreshMarginMs, (tokens.expiresAt - tokens.receivedAt) / 2);
    return this.now() >= tokens.expiresAt - margin;
  }

  /** Sends through the runtime's fetch, again after `Retry-After` for a 429 or 503. */
  private send(request: Request): Promise<Response> {
    return sendHonouringRetryAfter(this.fetchImpl, request, this.retry);
  }

  private async authorizedFetch(request: Request): Promise<Response> {
    const tokens = this.current();
    if (tokens === null) throw notSignedIn();
    const used = this.isExpiring(tokens) ? await this.refreshFrom(tokens) : tokens;
    const response = await this.send(withBearer(request, used.accessToken));
    if (!refusedToken(response) || this.tokens === null) return response;
    // The token was refused though fresh by this clock (a skewed clock, a key rotation): one
    // refresh, one retry. If the session has ended, the refresh is refused too and the client
    // signs out. (A wrong password on a fine token is a 401 too, without `invalid_token`.)
    let renewed: TokenSet;
    try {
      renewed = await this.refreshFrom(used);
    } catch {
      return response;
    }
    await response.body?.cancel();
    return this.send(withBearer(request, renewed.accessToken));
  }

  /**
   * One refresh for everyone who finds `stale` expiring: callers in this client share the
   * promise; tabs queue on the lock and, once inside, take a pair another tab already got.
   */
  private refreshFrom(stale: TokenSet): Promise<TokenSet> {
    if (this.refreshing) return this.refreshing;
    const generation = this.generation;
    const run = this.lock.run(async (waited) => {
      this.adoptStored();
      const current = this.tokens;
      if (current === null || generation !== this.generation) throw notSignedIn();
      if (current.refreshToken !== stale.refreshToken) return current;
      // Another tab held the lock: it has refreshed, and its pair (or its failure) is on the way.
      const theirs = waited ? await this.waitForNewer(current) : null;
      if (theirs) return theirs;
      if (generation !== this.generation) throw notSignedIn();
      try {
        return await this.rotate(current, generation);
      } catch (error) {
        if (this.tokens?.sessionId === current.sessionId) {
          this.channel.post({ type: 'refresh-failed', sessionId: current.sessionId });
        }
        throw error;
      }
    });
    const shared = run.finally(() => {
      if (this.refreshing === shared) this.refreshing = null;
    });
    this.refreshing = shared;
    return shared;
  }

  /** Presents the refresh token to the service. */
  private async rotate(current: TokenSet, generation: number): Promise<TokenSet> {
    const { data, error, response } = await this.anonymous.POST('/auth/refresh', {
      body: { refreshToken: current.refreshToken },
    });
    if (generation !== this.generation) throw notSignedIn();
    if (data) return this.adopt(tokenSetFrom(data, this.now()), true);
    if (response.status === 409) return this.takeWinnersTokens(current);
    const failure = this.failure(response, error);
    // The service refused the session (ended, expired, reused): it is over in every tab.
    if (response.status === 401) this.signOut(current.sessionId, true);
    throw failure;
  }

  /**
   * 409: a concurrent refresh of this session won (another tab, another client of this
   * process). Its pair arrives over the channel or through a shared store; until then the
   * refresh token held here is retired, and presenting it again after the service's reuse
   * interval would look like theft and end the session for everyone. So if the winner's pair
   * never arrives, this client alone signs out.
   */
  private async takeWinnersTokens(loser: TokenSet): Promise<TokenSet> {
    const winner = await this.waitForNewer(loser);
    if (winner) return winner;
    this.signOut(loser.sessionId, false);
    throw new AuthClientError(
      CLIENT_ERROR.refreshConflictUnresolved,
      'Another refresh of this session won and its tokens did not reach this client',
      409,
    );
  }

  /** A pair of the same session newer than `stale`, from another tab; null if none comes in time. */
  private waitForNewer(stale: TokenSet): Promise<TokenSet | null> {
    const accepts = (tokens: TokenSet) =>
      tokens.sessionId === stale.sessionId && tokens.refreshToken !== stale.refreshToken;
    this.adoptStored();
    if (this.tokens && accepts(this.tokens)) return Promise.resolve(this.tokens);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        sessionId: stale.sessionId,
        accepts,
        resolve: (tokens) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(tokens);
        },
      };
      const timer = setTimeout(() => waiter.resolve(null), this.conflictWaitMs);
      this.waiters.add(waiter);
    });
  }

  /** A fresh access token for a logout whose token expired; null when the session is already over. */
  private async renewForLogout(tokens: TokenSet): Promise<string | null> {
    const { data, response } = await this.anonymous.POST('/auth/refresh', {
      body: { refreshToken: tokens.refreshToken },
    });
    if (data) return data.accessToken;
    if (response.status === 401) return null;
    throw this.failure(response, undefined);
  }

  private onTabMessage(message: TabMessage): void {
    switch (message.type) {
      case 'tokens':
        if (this.isNewer(message.tokens)) this.adopt(message.tokens, false);
        return;
      case 'signed-out':
        this.endedSessions.add(message.sessionId);
        if (this.tokens?.sessionId === message.sessionId) this.signOut(message.sessionId, false);
        return;
      case 'refresh-failed':
        for (const waiter of [...this.waiters])
          if (waiter.sessionId === message.sessionId) waiter.resolve(null);
        return;
      case 'sync-request':
        if (this.tokens) this.channel.post({ type: 'tokens', tokens: this.tokens });
        return;
    }
  }

  private isNewer(tokens: TokenSet): boolean {
    if (this.endedSessions.has(tokens.sessionId)) return false;
    return this.tokens === null || tokens.receivedAt > this.tokens.receivedAt;
  }

  /** The newest pair this client knows of, its store included. */
  private current(): TokenSet | null {
    this.adoptStored();
    return this.tokens;
  }

  /** A shared store (localStorage) may hold a pair another tab got since this one last looked. */
  private adoptStored(): void {
    const stored = this.store.load();
    if (stored && stored !== this.tokens && this.isNewer(stored)) this.adopt(stored, false);
  }

  private adopt(tokens: TokenSet, broadcast: boolean): TokenSet {
    this.tokens = tokens;
    this.store.save(tokens);
    if (broadcast) this.channel.post({ type: 'tokens', tokens });
    for (const waiter of [...this.waiters]) if (waiter.accepts(tokens)) waiter.resolve(tokens);
    for (const listener of this.listeners) listener(tokens);
    return tokens;
  }

  private signOut(sessionId: string, broadcast: boolean): void {
    this.generation++;
    this.endedSessions.add(sessionId);
    this.tokens = null;
    this.store.save(null);
    if (broadcast) this.channel.post({ type: 'signed-out', sessionId });
    for (const waiter of [...this.waiters])
      if (waiter.sessionId === sessionId) waiter.resolve(null);
    for (const listener of this.listeners) listener(null);
  }

  private failure(response: Response, body: unknown): AuthClientError {
    return errorFromResponse(response, body, retryAfterSeconds(response, this.now()));
  }
}

/** RFC 6750: a refused bearer token is answered `WWW-Authenticate: Bearer error="invalid_token"`. */
function refusedToken(response: Response): boolean {
  return (
    response.status === 401 &&
    /error="invalid_token"/.test(response.headers.get('WWW-Authenticate') ?? '')
  );
}

function withBearer(request: Request, accessToken: string): Request {
  const copy = request.clone();
  copy.headers.set('Authorization', `Bearer ${accessToken}`);
  return copy;
}
