import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/app-config';
import { SIGNING_ALGORITHM, SigningKeyService } from '../services/signing-key.service';
import { ACCESS_TOKEN_TYPE } from './access-token-claims';

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

/** Issues access tokens; `AccessTokenVerifier` checks them. */
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
        keyid: key.kid,
        // RFC 9068: typed, so no other JWT this service signs can pass for an access token.
        header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
        subject: subject.userId,
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        expiresIn,
        jwtid: randomUUID(),
      },
    );
    return { accessToken, expiresIn };
  }
}
