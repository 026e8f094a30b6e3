import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Clock } from '../common/clock/clock';
import { DomainError } from '../common/errors/domain.error';
import { type ClientContext } from '../common/http/client-context';
import { RefreshTokenRepository } from '../auth/repositories/refresh-token.repository';
import { UserRepository } from '../auth/repositories/user.repository';
import { RevocationService } from '../auth/revocation/revocation.service';
import { AccessTokenService } from '../auth/services/access-token.service';
import { SessionService } from '../auth/services/session.service';
import { RefreshTokenCodec } from '../auth/services/refresh-token.codec';

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
    private readonly clock: Clock,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly users: UserRepository,
    private readonly revocation: RevocationService,
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
    const claims = await this.accessTokens.verify(token);
    if (!claims || (await this.revocation.isSessionEnded(claims.sid))) return INACTIVE;
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
      roles: claims.roles,
    };
  }

  private async introspectRefresh(token: string): Promise<Introspection> {
    if (!RefreshTokenCodec.isWellFormed(token)) return INACTIVE;
    const now = this.clock.now();
    const live = await this.refreshTokens.findLive(
      RefreshTokenCodec.hash(token),
      now,
      new Date(now.getTime() - this.config.sessionIdleTimeoutMs),
    );
    if (!live) return INACTIVE;
    const user = await this.users.findById(live.userId);
    if (!user) return INACTIVE;
    // The live token was issued by the session's last refresh (or its login), which is also
    // when its idle timeout started: it dies at whichever deadline comes first.
    const idleDeadline = live.issuedAt.getTime() + this.config.sessionIdleTimeoutMs;
    return {
      active: true,
      token_type: 'refresh_token',
      sub: live.userId,
      sid: live.sessionId,
      iat: seconds(live.issuedAt),
      exp: seconds(new Date(Math.min(live.expiresAt.getTime(), idleDeadline))),
      iss: this.config.jwtIssuer,
      // The audience of the access tokens it refreshes into, and the roles they would carry.
      aud: this.config.jwtAudience,
      roles: user.roles,
    };
  }

  private async accessOwner(token: string): Promise<{ userId: string; sessionId: string } | null> {
    const claims = await this.accessTokens.verify(token);
    return claims ? { userId: claims.sub, sessionId: claims.sid } : null;
  }

  private refreshOwner(token: string): Promise<{ userId: string; sessionId: string } | null> {
    return RefreshTokenCodec.isWellFormed(token)
      ? this.refreshTokens.findOwner(RefreshTokenCodec.hash(token))
      : Promise.resolve(null);
  }
}
