import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/app-config';
import { SIGNING_ALGORITHM, SigningKeyService } from './signing-key.service';

/** The claims of an access token, as the contract lists them. */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  auth_time: number;
  roles: string[];
}

export interface AccessTokenSubject {
  userId: string;
  sessionId: string;
  roles: string[];
  authTime: Date;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeyService,
    private readonly config: AppConfig,
  ) {}

  async issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    const key = this.keys.current;
    const expiresIn = Math.floor(this.config.accessTokenTtlMs / 1000);
    const accessToken = await this.jwt.signAsync(
      {
        sid: subject.sessionId,
        roles: subject.roles,
        auth_time: Math.floor(subject.authTime.getTime() / 1000),
      },
      {
        privateKey: key.privateKey,
        algorithm: SIGNING_ALGORITHM,
        // RFC 9068 / API.md: consumers (auth-client) refuse a JWT that does not say it is one.
        header: { alg: SIGNING_ALGORITHM, typ: CLIENT_TOKEN_TYPE, kid: key.kid },
        subject: subject.userId,
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        expiresIn,
        jwtid: randomUUID(),
      },
    );
    return { accessToken, expiresIn };
  }

  /**
   * Verifies a token exactly as the JWT guard does (ES256 only, `iss`, `aud`, known `kid`,
   * unexpired) for callers outside the guard, such as introspection. `null` when invalid.
   */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    const claims = await this.verifySignature(token);
    return claims && hasAccessTokenClaims(claims) ? (claims as unknown as AccessTokenClaims) : null;
  }

  /**
   * A service client's own token (client credentials, RFC 9068): the same checks, plus its
   * `typ`, and the shape of a client token: `client_id` = `sub`, no session. The client id, or
   * `null`. A user's token, a SET or a logout token is never one.
   */
  async verifyClientToken(token: string): Promise<string | null> {
    if (decodeHeader(token)?.typ !== CLIENT_TOKEN_TYPE) return null;
    const claims = await this.verifySignature(token);
    const clientId = claims?.client_id;
    return typeof clientId === 'string' && claims?.sub === clientId && claims.sid === undefined
      ? clientId
      : null;
  }

  private async verifySignature(token: string): Promise<Record<string, unknown> | null> {
    const header = decodeHeader(token);
    const key =
      header?.alg === SIGNING_ALGORITHM ? this.keys.verificationKey(header.kid) : undefined;
    if (!key) return null;
    try {
      return await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        publicKey: key.publicKey as unknown as string,
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
      });
    } catch {
      return null;
    }
  }
}

/** RFC 9068 §2.1: the `typ` of access tokens (client-credentials tokens carry it). */
export const CLIENT_TOKEN_TYPE = 'at+jwt';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The claim checks of `JwtStrategy.validate`, plus a session: a signed token the guard would
 * refuse (a `sid` that is no id, `roles` that is no array...) must not pass introspection.
 */
function hasAccessTokenClaims(claims: Partial<Record<keyof AccessTokenClaims, unknown>>): boolean {
  const { sub, sid, jti, iat, exp, auth_time: authTime, roles } = claims;
  return (
    typeof sub === 'string' &&
    UUID.test(sub) &&
    typeof sid === 'string' &&
    UUID.test(sid) &&
    typeof jti === 'string' &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    typeof authTime === 'number' &&
    Array.isArray(roles) &&
    roles.every((role) => typeof role === 'string')
  );
}

function decodeHeader(token: string): { alg?: unknown; kid?: string; typ?: unknown } | undefined {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString(),
    );
    if (typeof header !== 'object' || header === null) return undefined;
    const { alg, kid, typ } = header as { alg?: unknown; kid?: unknown; typ?: unknown };
    return { alg, kid: typeof kid === 'string' ? kid : undefined, typ };
  } catch {
    return undefined;
  }
}
