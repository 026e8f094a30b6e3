import { type JsonWebKey } from 'node:crypto';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Req } from '@nestjs/common';
import { type Request } from 'express';
import { DiscoveryResponse } from './dto/discovery.response';
import { JwksResponse } from './dto/jwks.response';
import { AppConfig } from '../config/app-config';
import { Public } from '../common/decorators/public.decorator';
import { SIGNING_ALGORITHM, SigningKeyService } from '../auth/services/signing-key.service';

interface PublicJwk extends JsonWebKey {
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
  @ApiOperation({ summary: 'Discovery: issuer, JWKS, introspection and revocation endpoints' })
  @ApiOkResponse({ type: DiscoveryResponse })
  @Header('Cache-Control', 'public, max-age=300')
  discovery(@Req() request: Request): Record<string, unknown> {
    const base = this.baseUrl(request);
    return {
      issuer: this.config.jwtIssuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      introspection_endpoint: `${base}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint: `${base}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
    };
  }

  /**
   * Where the endpoints live. An issuer that is an http(s) URL is the service's public base
   * (RFC 8414 §3), so the endpoints never depend on the request: a forged `Host` must not put
   * another JWKS into a document consumers and shared caches keep for five minutes. Only an
   * issuer that is no URL (the default `auth-service`) falls back to the URL the caller used.
   */
  private baseUrl(request: Request): string {
    return serviceBaseUrl(this.config.jwtIssuer, request);
  }
}

/** The public base of the service's endpoints (see `WellKnownController.baseUrl`). */
export function serviceBaseUrl(issuer: string, request: Request): string {
  return issuerBaseUrl(issuer) ?? `${request.protocol}://${request.get('host') ?? 'localhost'}`;
}

function issuerBaseUrl(issuer: string): string | undefined {
  if (!URL.canParse(issuer)) return undefined;
  const url = new URL(issuer);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
