import { AccessTokenVerifier, type AuthenticatedUser } from './access-token.verifier';
import { AuthClientError } from './auth-client.error';
import {
  type AuthClientOptions,
  resolveOptions,
  type ResolvedAuthClientOptions,
} from './auth-client.options';
import { EndedSessions } from './ended-sessions';
import { IntrospectionClient } from './introspection.client';
import { type ReceivedSecurityEvent } from './security-event';
import { SecurityEventVerifier } from './security-event.verifier';
import { ServiceMetadata } from './service-metadata';
import { ServiceTokenProvider } from './service-token.provider';
import { type PushResult, StreamClient } from './stream.client';

/**
 * Everything a service needs to trust the auth service's access tokens and honour logout:
 * verification through discovery + JWKS, the set of sessions its stream reported ended,
 * and introspection whenever the stream cannot vouch that no ending was missed.
 * Framework-neutral; the Nest module wraps it.
 */
export class AuthClient {
  readonly options: ResolvedAuthClientOptions;
  private readonly ended: EndedSessions;
  private readonly accessTokens: AccessTokenVerifier;
  private readonly introspection: IntrospectionClient;
  private readonly stream: StreamClient;
  /** Sessions introspection confirmed live after this process started (see `needsIntrospection`). */
  private readonly confirmed = new Set<string>();

  constructor(options: AuthClientOptions) {
    this.options = resolveOptions(options);
    const metadata = new ServiceMetadata(this.options);
    this.ended = new EndedSessions(this.options.accessTokenLifetimeMs, this.options.now);
    this.accessTokens = new AccessTokenVerifier(this.options, metadata);
    this.introspection = new IntrospectionClient(this.options, metadata);
    this.stream = new StreamClient(
      this.options,
      metadata,
      new ServiceTokenProvider(this.options, metadata),
      new SecurityEventVerifier(this.options, metadata),
      (event) => this.apply(event),
    );
  }

  /** Starts receiving security events in the background (returns at once, retries on its own). */
  start(): void {
    this.stream.start();
  }

  async stop(): Promise<void> {
    await this.stream.stop();
  }

  /**
   * The user behind an `Authorization: Bearer` header. Throws `AuthClientError`:
   * `invalid_token` and `session_ended` mean 401, `verification_unavailable` means 503.
   */
  async authenticate(authorization: string | undefined): Promise<AuthenticatedUser> {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization?.trim() ?? '');
    if (!match) throw new AuthClientError('invalid_token', 'a Bearer access token is required');
    return this.verifyAccessToken(match[1]);
  }

  async verifyAccessToken(token: string): Promise<AuthenticatedUser> {
    let user: AuthenticatedUser;
    try {
      user = await this.accessTokens.verify(token);
    } catch (error) {
      if (error instanceof AuthClientError) throw error;
      // Keys unreachable: nothing can be verified, whatever the policy says.
      throw new AuthClientError('verification_unavailable', 'the signing keys cannot be fetched', {
        cause: error,
      });
    }
    if (this.ended.isEnded(user)) {
      throw new AuthClientError('session_ended', 'the session of this token has ended');
    }
    if (this.needsIntrospection(user)) await this.introspect(token, user);
    return user;
  }

  /** RFC 8935 receiver: pass the request's Content-Type and raw body, answer with the result. */
  receivePush(contentType: string | undefined, body: string): Promise<PushResult> {
    return this.stream.receivePush(contentType, body);
  }

  /** Whether this service has learned that the session ended (tests wait on it). */
  hasSessionEnded(sessionId: string): boolean {
    return this.ended.isEnded({ sessionId, userId: '', issuedAt: Number.POSITIVE_INFINITY });
  }

  /** Whether the stream currently vouches for every ending (no introspection needed). */
  isStreamFresh(): boolean {
    return this.stream.isFresh();
  }

  /**
   * The stream vouches for a token only when it is fresh and the token was issued after the
   * stream first answered in this process: endings before that may have been acknowledged
   * by an earlier instance (a restart) or have predated the stream, so such a session is
   * asked about once. Without a stream every token is asked about.
   */
  private needsIntrospection(user: AuthenticatedUser): boolean {
    if (this.options.delivery === false) return true;
    if (this.options.whenStale === 'trust-signature') return false;
    if (!this.stream.isFresh()) return true;
    const established = this.stream.establishedAt!;
    if (this.options.now() > established + this.options.accessTokenLifetimeMs) {
      this.confirmed.clear(); // every token issued before the stream answered has expired
      return false;
    }
    return user.issuedAt * 1000 <= established && !this.confirmed.has(user.sessionId);
  }

  private async introspect(token: string, user: AuthenticatedUser): Promise<void> {
    let active: boolean;
    try {
      active = await this.introspection.isActive(token);
    } catch (error) {
      if (this.options.whenIntrospectionFails === 'accept') return;
      throw new AuthClientError(
        'verification_unavailable',
        'the auth service cannot confirm this session now',
        { cause: error },
      );
    }
    if (!active) {
      this.ended.endSession(user.sessionId);
      throw new AuthClientError('session_ended', 'the session of this token has ended');
    }
    // Later endings of this session reach the stream, which is fresh (or we ask again).
    if (this.stream.isFresh()) this.confirmed.add(user.sessionId);
  }

  private apply(event: ReceivedSecurityEvent): void {
    if (event.kind === 'session-revoked') {
      if (event.sessionId !== undefined) this.ended.endSession(event.sessionId);
      else if (event.userId !== undefined)
        this.ended.endUserSessions(event.userId, event.eventTimestamp);
    }
    this.options.onSecurityEvent?.(event);
  }
}
