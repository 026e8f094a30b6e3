import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';
import { type ClientContext } from '../common/http/client-context';
import { SessionService } from '../auth/services/session.service';
import { TokenAuthenticationService } from '../auth/services/token-authentication.service';
import { hasSession } from '../auth/tokens/access-token.verifier';

export type TokenTypeHint = 'access_token' | 'refresh_token';

export type Introspection =
  | { active: false }
  | {
      active: true;
      token_type: TokenTypeHint;
      sub: string;
      sid: string;
      iss: string;
      aud?: string;
      jti?: string;
      iat: number;
      exp: number;
      roles: string[];
    };

const INACTIVE: Introspection = { active: false };
const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** RFC 7009: a hint the server does not know is an error; a known one only orders the search. */
export function parseTokenTypeHint(hint: string | undefined): TokenTypeHint | undefined {
  if (hint === undefined || hint === 'access_token' || hint === 'refresh_token') return hint;
  throw new DomainError('unsupported_token_type', `token_type_hint "${hint}" is not supported`);
}

/** What other services learn about a token (RFC 7662) and how they end its session (RFC 7009). */
@Injectable()
export class TokenIntrospectionService {
  constructor(
    private readonly config: AppConfig,
    private readonly authentication: TokenAuthenticationService,
    private readonly sessionLifecycle: SessionService,
  ) {}

  /**
   * `active: false` for anything but a live token of a live session: expired, forged, revoked,
   * unknown. No `client_id`: RFC 7662 means the client the token was issued to, and these
   * tokens are issued to users, not to the service client that asks.
   */
  async introspect(token: string, hint: TokenTypeHint | undefined): Promise<Introspection> {
    const order: TokenTypeHint[] =
      hint === 'refresh_token'
        ? ['refresh_token', 'access_token']
        : ['access_token', 'refresh_token'];
    for (const type of order) {
      const result =
        type === 'access_token'
          ? await this.introspectAccess(token)
          : await this.introspectRefresh(token);
      if (result.active) return result;
    }
    return INACTIVE;
  }

  /** Ends the session of a valid access or refresh token. Unknown and invalid tokens are not an error. */
  async revoke(
    token: string,
    hint: TokenTypeHint | undefined,
    clientId: string,
    client: ClientContext,
  ): Promise<void> {
    const owner =
      hint === 'refresh_token'
        ? ((await this.refreshOwner(token)) ?? (await this.accessOwner(token)))
        : ((await this.accessOwner(token)) ?? (await this.refreshOwner(token)));
    if (!owner) return;
    await this.sessionLifecycle.revoke({
      ...owner,
      actorUserId: null,
      reason: `revoked by service client ${clientId}`,
      client,
    });
  }

  private async introspectAccess(token: string): Promise<Introspection> {
    const claims = await this.accessClaims(token);
    if (!claims) return INACTIVE;
    return {
      active: true,
      token_type: 'access_token',
      sub: claims.sub,
      sid: claims.sid,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      iss: claims.iss,
      aud: claims.aud,
      // The roles the user holds now, as the service's own endpoints judge them.
      roles: claims.roles,
    };
  }

  /** The claims of a live access token of a session this deployment knows; `null` otherwise. */
  private async accessClaims(token: string) {
    try {
      const { user, claims } = await this.authentication.authenticate(token);
      return hasSession(claims) ? { ...claims, roles: user.roles } : null;
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  }

  private async introspectRefresh(token: string): Promise<Introspection> {
    const live = await this.sessionLifecycle.findLiveRefreshToken(token);
    if (!live) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      sub: live.userId,
      sid: live.sessionId,
      iat: seconds(live.issuedAt),
      exp: seconds(live.expiresAt),
      iss: this.config.jwtIssuer,
      // The audience of the access tokens it refreshes into, and the roles they would carry.
      aud: this.config.jwtAudience,
      roles: live.roles,
    };
  }

  /** The session of a live access token (revoking an ended one would change nothing). */
  private async accessOwner(token: string): Promise<{ userId: string; sessionId: string } | null> {
    const claims = await this.accessClaims(token);
    return claims ? { userId: claims.sub, sessionId: claims.sid } : null;
  }

  private refreshOwner(token: string): Promise<{ userId: string; sessionId: string } | null> {
    return this.sessionLifecycle.findRefreshTokenOwner(token);
  }
}
