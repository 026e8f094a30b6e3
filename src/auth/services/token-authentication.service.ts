import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { RevocationService } from '../revocation/revocation.service';
import { type AccessTokenClaims, type SessionTokenClaims } from '../tokens/access-token-claims';
import { AccessTokenVerifier, hasSession } from '../tokens/access-token.verifier';

export interface AuthenticationOptions {
  /**
   * Accept a token of an ended session (logout stays idempotent), and a well-signed user
   * token without a session, for the handler to refuse with 400 (logout never widens a scope
   * it cannot name). The session is NOT looked up: the caller must refuse one that is not
   * the user's (logout's statement does), and the roles are the token's.
   */
  allowEndedSession?: boolean;
}

export interface Authentication {
  user: AuthenticatedUser;
  claims: AccessTokenClaims;
}

/** `sessionId` is absent only for a session-less token on an `allowEndedSession` route. */
function userOf(claims: AccessTokenClaims): AuthenticatedUser {
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    roles: claims.roles ?? [],
    authTime: claims.auth_time ?? 0,
    tokenId: claims.jti,
    expiresAt: claims.exp,
  };
}

/**
 * The way in: a user's access token becomes an authenticated user, or a refusal. The JWT
 * guard and introspection both come through here. The token is verified by
 * `AccessTokenVerifier`; then, unless `ACCESS_TOKEN_REVOCATION_CHECK=false`, its session
 * must be one this deployment issued to that user and has not ended, and the roles that
 * count are the user's as stored (cached with the live session for at most
 * `LIVE_SESSION_TTL_MS`), not the ones the token was issued with.
 */
@Injectable()
export class TokenAuthenticationService {
  constructor(
    private readonly config: AppConfig,
    private readonly verifier: AccessTokenVerifier,
    private readonly revocation: RevocationService,
  ) {}

  async authenticate(token: string, options: AuthenticationOptions = {}): Promise<Authentication> {
    const claims = this.verifier.verify(token, { requireSession: false });
    if (claims.client_id !== undefined) {
      throw new DomainError('invalid_token', "A service client's token is not a user's");
    }
    if (!hasSession(claims)) {
      if (options.allowEndedSession) return { user: { ...userOf(claims), roles: [] }, claims };
      throw new DomainError('session_required', 'Access token carries no session (sid)');
    }
    return { user: await this.sessionUser(claims, options), claims };
  }

  private async sessionUser(
    claims: SessionTokenClaims,
    options: AuthenticationOptions,
  ): Promise<AuthenticatedUser> {
    const user = userOf(claims);
    // The route's own statement tells live, ended and unknown apart: asking first would
    // double its round trips.
    if (!this.config.accessTokenRevocationCheck || options.allowEndedSession) return user;
    const known = await this.revocation.sessionState(claims.sid, claims.sub);
    switch (known.state) {
      case 'live':
        return { ...user, roles: known.session.roles };
      case 'ended':
        throw new DomainError('invalid_token', 'The session of this access token has ended');
      case 'unknown':
        throw new DomainError('invalid_token', 'The session of this access token is not known');
    }
  }
}
