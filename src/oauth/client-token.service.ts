import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';
import { ACCESS_TOKEN_TYPE } from '../auth/tokens/access-token-claims';
import { SIGNING_ALGORITHM, SigningKeyService } from '../auth/services/signing-key.service';

export interface ClientToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/**
 * RFC 6749 §4.4 client credentials: a service client's own access token, for SSF stream
 * management here and for calling other services. RFC 9068 shape (`typ: at+jwt`,
 * `client_id` = `sub`), no `sid`: the user endpoints refuse it.
 */
@Injectable()
export class ClientTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeyService,
    private readonly config: AppConfig,
  ) {}

  async issue(clientId: string, grantType: string, audience?: string): Promise<ClientToken> {
    if (grantType !== 'client_credentials') {
      throw new DomainError(
        'unsupported_grant_type',
        'Only grant_type=client_credentials is supported here',
      );
    }
    const client = this.config.serviceClients.find((candidate) => candidate.id === clientId);
    const audiences = client?.audiences ?? [this.config.jwtAudience];
    const aud = audience ?? audiences[0];
    if (!audiences.includes(aud)) {
      throw new DomainError('invalid_target', 'This client may not ask for that audience');
    }
    const key = this.keys.current;
    const expiresIn = Math.floor(this.config.clientTokenTtlMs / 1000);
    const accessToken = await this.jwt.signAsync(
      { client_id: clientId },
      {
        privateKey: key.privateKey,
        algorithm: SIGNING_ALGORITHM,
        keyid: key.kid,
        header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
        subject: clientId,
        issuer: this.config.jwtIssuer,
        audience: aud,
        expiresIn,
        jwtid: randomUUID(),
      },
    );
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn };
  }
}
