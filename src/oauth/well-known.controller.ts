import { type webcrypto } from 'node:crypto';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header } from '@nestjs/common';
import { DiscoveryResponse } from './dto/discovery.response';
import { JwksResponse } from './dto/jwks.response';
import { requirePublicBaseUrl } from './public-base-url';
import { AppConfig } from '../config/app-config';
import { Public } from '../common/decorators/public.decorator';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { SIGNING_ALGORITHM, SigningKeyService } from '../auth/services/signing-key.service';

interface PublicJwk extends webcrypto.JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/** What a consumer needs to trust this service's tokens without sharing its database. */
@ApiTags('oauth')
@Controller('.well-known')
@Public()
export class WellKnownController {
  constructor(
    private readonly keys: SigningKeyService,
    private readonly config: AppConfig,
  ) {}

  /** The current key and, during a rotation, the previous one. Cached briefly by consumers. */
  @Get('jwks.json')
  @ApiOperation({ summary: 'The public keys that verify access tokens (JWKS)' })
  @ApiOkResponse({ type: JwksResponse })
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
  @ApiOperation({
    summary:
      'Discovery: issuer, JWKS, token, introspection and revocation endpoints, back-channel logout and the SSF metadata',
    description:
      'Every URL comes from PUBLIC_URL (or an issuer that is a URL); 404 when neither is configured.',
  })
  @ApiOkResponse({ type: DiscoveryResponse })
  @ApiErrors(404)
  @Header('Cache-Control', 'public, max-age=300')
  discovery(): Record<string, unknown> {
    const base = requirePublicBaseUrl(this.config);
    return {
      issuer: this.config.jwtIssuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/oauth/token`,
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      grant_types_supported: ['client_credentials'],
      introspection_endpoint: `${base}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint: `${base}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      // OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens are sent, with `sid`.
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      // Not a registered member (SSF 1.0 defines none for this document): see DiscoveryResponse.
      ssf_configuration_uri: `${base}/.well-known/ssf-configuration`,
    };
  }
}
