import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ApiErrors } from '../../openapi/api-errors.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { requirePublicBaseUrl } from '../../oauth/public-base-url';
import { SsfConfigurationResponse } from '../dto/ssf-configuration.response';
import { DELIVERY_METHODS } from '../stream';

/** SSF 1.0 §7: how a receiver discovers the transmitter. */
@ApiTags('security-events')
@Controller('.well-known')
@Public()
export class SsfConfigurationController {
  constructor(private readonly config: AppConfig) {}

  @Get('ssf-configuration')
  @ApiOperation({ summary: 'SSF transmitter configuration metadata (SSF 1.0 §7.1)' })
  @ApiOkResponse({ type: SsfConfigurationResponse })
  @ApiErrors(404)
  @Header('Cache-Control', 'public, max-age=300')
  configuration(): SsfConfigurationResponse {
    const base = requirePublicBaseUrl(this.config);
    return {
      spec_version: '1_0',
      issuer: this.config.jwtIssuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      delivery_methods_supported: [...DELIVERY_METHODS],
      configuration_endpoint: `${base}/ssf/streams`,
      status_endpoint: `${base}/ssf/streams/status`,
      verification_endpoint: `${base}/ssf/streams/verify`,
      // OAuth bearer tokens (client credentials) and HTTP Basic with the client secret.
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }, { spec_urn: 'urn:ietf:rfc:7617' }],
      // Every user's events go to every stream: receivers need not add subjects.
      default_subjects: 'ALL',
    };
  }
}
