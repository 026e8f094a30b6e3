import { Controller, Get, Header, Req } from '@nestjs/common';
import { type Request } from 'express';
import { type JsonWebKey } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Public } from '../common/decorators/public.decorator';
import { SIGNING_ALGORITHM, SigningKeyService } from '../auth/services/signing-key.service';

interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/** What a consumer needs to trust this service's tokens without sharing its database. */
@Controller('.well-known')
@Public()
export class WellKnownController {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly config: AppConfig,
  ) {}

  /** The current key and, during a rotation, the previous one. Cached briefly by consumers. */
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): { keys: PublicJwk[] } {
    return {
      keys: this.keys.verificationKeys().map((key) => ({
        kty: key.jwk.kty,
        crv: key.jwk.crv,
        x: key.jwk.x,
        y: key.jwk.y,
        kid: key.kid,
        alg: SIGNING_ALGORITHM,
        use: 'sig',
      })),
    };
  }

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  discovery(@Req() request: Request): Record<string, unknown> {
    // Absolute URLs as the caller reached us (behind a proxy: with TRUST_PROXY).
    const base = `${request.protocol}://${request.get('host') ?? 'localhost'}`;
    return {
      issuer: this.config.jwtIssuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      introspection_endpoint: `${base}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint: `${base}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
      response_types_supported: [],
      subject_types_supported: ['public'],
    };
  }
}
