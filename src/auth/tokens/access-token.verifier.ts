import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DomainError } from '../../common/errors/domain.error';
import { SIGNING_ALGORITHM, SigningKeyService } from '../services/signing-key.service';
import {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  type SessionTokenClaims,
} from './access-token-claims';
import { verifiedEs256Payload } from '../../common/jose/compact-es256';
import { VerifiedTokenCache } from './verified-token.cache';

/** How far ahead of our clock another instance's `iat` may be. */
const CLOCK_TOLERANCE_SECONDS = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const invalidToken = (why: string) =>
  new DomainError('invalid_token', `Access token is not valid: ${why}`);

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function parseHeader(token: string): Record<string, unknown> {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'),
    );
    if (typeof header === 'object' && header !== null && !Array.isArray(header)) {
      return header as Record<string, unknown>;
    }
  } catch {
    // Falls through to the refusal below: a header that is no JSON object is malformed.
  }
  throw invalidToken('malformed header');
}

/** A user's token (the verifier saw to it that a `sid` comes with the rest of a user's claims). */
export function hasSession(claims: AccessTokenClaims): claims is SessionTokenClaims {
  return claims.sid !== undefined;
}

/**
 * The one place access tokens are verified: the JWT guard (through passport-jwt),
 * introspection and anything else that accepts them call it. Refuses, as `invalid_token`:
 * anything but compact ES256 with a `kid` of this service's keys; a `typ` other than
 * `at+jwt` (so security-event and logout tokens never pass); any `crit` header (RFC 7515
 * §4.1.11: it names extensions this service does not implement); a wrong `iss`/`aud`; an
 * `exp` passed; an `iat` in the future or a lifetime longer than `ACCESS_TOKEN_TTL`; claims
 * of the wrong shape. Whatever the input, the outcome is claims or that one refusal.
 *
 * Verdicts are cached per token text (bounded, never past `exp`): the signature is checked
 * once per token, not once per request. Whether the token's session is live is not this
 * class's business: `SessionStateService` answers that on every request.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified = new VerifiedTokenCache();

  constructor(
    private readonly config: AppConfig,
    private readonly keys: SigningKeyService,
  ) {}

  /** A user's token with its session (`sid`): what the user endpoints and introspection accept. */
  verify(token: string): SessionTokenClaims;
  /** Any access token of this service, with or without a session (service clients' own tokens). */
  verify(token: string, options: { requireSession: false }): AccessTokenClaims;
  verify(token: string, { requireSession = true }: { requireSession?: boolean } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const claims = this.verified.get(token, now) ?? this.verifyUncached(token, now);
    if (requireSession && !hasSession(claims)) throw invalidToken('it carries no session');
    return claims;
  }

  /**
   * A service client's own token (client credentials): `client_id` = `sub`, no session. The
   * client id, or `null` for anything else (a user's token, a SET, a logout token, a forgery).
   */
  verifyClientToken(token: string): string | null {
    try {
      const claims = this.verify(token, { requireSession: false });
      return claims.client_id !== undefined &&
        claims.sub === claims.client_id &&
        !hasSession(claims)
        ? claims.client_id
        : null;
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  }

  private verifyUncached(token: string, now: number): AccessTokenClaims {
    if (!COMPACT_JWS.test(token)) throw invalidToken('not a compact JWS');
    const header = parseHeader(token);
    if (header.alg !== SIGNING_ALGORITHM) throw invalidToken('algorithm not accepted');
    if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== ACCESS_TOKEN_TYPE) {
      throw invalidToken('not an access token (typ)');
    }
    if ('crit' in header) throw invalidToken('critical header extension not understood');
    const key = typeof header.kid === 'string' ? this.keys.verificationKey(header.kid) : undefined;
    if (!key) throw invalidToken('unknown signing key');

    const payload = verifiedEs256Payload(token, key.publicKey);
    if (payload === undefined) throw invalidToken('signature, issuer, audience or expiry');
    const claims = this.checkClaims(payload, now);
    this.verified.set(token, claims);
    return claims;
  }

  private checkClaims(payload: unknown, now: number): AccessTokenClaims {
    if (typeof payload !== 'object' || payload === null) throw invalidToken('payload');
    const claims = payload as Partial<Record<keyof AccessTokenClaims, unknown>>;
    const { iss, aud, sub, sid, jti, iat, exp, roles, auth_time: authTime } = claims;
    if (
      typeof iss !== 'string' ||
      typeof aud !== 'string' ||
      typeof sub !== 'string' ||
      sub === '' ||
      typeof jti !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      (sid !== undefined && (typeof sid !== 'string' || !UUID.test(sid))) ||
      (roles !== undefined && !isStringArray(roles)) ||
      (authTime !== undefined && typeof authTime !== 'number') ||
      (claims.client_id !== undefined && typeof claims.client_id !== 'string')
    ) {
      throw invalidToken('claims');
    }
    if (iss !== this.config.jwtIssuer || aud !== this.config.jwtAudience || exp <= now) {
      throw invalidToken('signature, issuer, audience or expiry');
    }
    // Not issued by this service, but a signed `nbf` still counts (RFC 7519 §4.1.5).
    const { nbf } = payload as { nbf?: unknown };
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) {
      throw invalidToken('not valid yet');
    }
    // A session's token is a user's: all of a user's claims, or it is no token of ours.
    if (sid !== undefined && !(UUID.test(sub) && roles !== undefined && authTime !== undefined)) {
      throw invalidToken('claims');
    }
    if (iat > now + CLOCK_TOLERANCE_SECONDS) throw invalidToken('issued in the future');
    const lifetimeMs =
      claims.client_id === undefined ? this.config.accessTokenTtlMs : this.config.clientTokenTtlMs;
    if (exp - iat > Math.floor(lifetimeMs / 1000)) {
      throw invalidToken('lifetime longer than this service issues');
    }
    return claims as AccessTokenClaims;
  }
}
