import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decode, type JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config';
import { type AuthenticatedUser } from '../authenticated-user';
import { SIGNING_ALGORITHM, SigningKeyService } from '../services/signing-key.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * Verifies access tokens: ES256 only (so `none` and HS256-with-the-public-key fail),
 * `iss` and `aud` checked, and the key chosen by `kid` among this service's own keys.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig, keys: SigningKeyService) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: [SIGNING_ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ignoreExpiration: false,
      secretOrKeyProvider: (
        _request: unknown,
        rawJwt: string,
        done: (error: Error | null, key?: string) => void,
      ) => {
        const header = decode(rawJwt, { complete: true })?.header;
        const key =
          header?.alg === SIGNING_ALGORITHM ? keys.verificationKey(header.kid) : undefined;
        if (!key) return done(new Error('unknown signing key'));
        // jsonwebtoken takes the parsed KeyObject (typed as PEM text by passport-jwt).
        done(null, key.publicKey as unknown as string);
      },
    });
  }

  validate(payload: JwtPayload): AuthenticatedUser | false {
    const { sub, jti, exp } = payload;
    const { sid, roles, auth_time: authTime } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || !UUID.test(sub)) return false;
    if (sid !== undefined && (typeof sid !== 'string' || !UUID.test(sid))) return false;
    if (
      typeof jti !== 'string' ||
      !isStringArray(roles) ||
      typeof authTime !== 'number' ||
      typeof exp !== 'number'
    ) {
      return false;
    }
    return { userId: sub, sessionId: sid, roles, authTime, tokenId: jti, expiresAt: exp };
  }
}
