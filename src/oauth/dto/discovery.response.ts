import { ApiProperty } from '@nestjs/swagger';

export class DiscoveryResponse {
  @ApiProperty({ example: 'auth-service' })
  issuer!: string;

  @ApiProperty({ format: 'uri' })
  jwks_uri!: string;

  /** Client-credentials grant for service clients */
  @ApiProperty({ format: 'uri' })
  token_endpoint!: string;

  @ApiProperty({ example: ['client_secret_basic'] })
  token_endpoint_auth_methods_supported!: string[];

  @ApiProperty({ example: ['client_credentials'] })
  grant_types_supported!: string[];

  @ApiProperty({ format: 'uri' })
  introspection_endpoint!: string;

  @ApiProperty({ example: ['client_secret_basic'] })
  introspection_endpoint_auth_methods_supported!: string[];

  @ApiProperty({ format: 'uri' })
  revocation_endpoint!: string;

  @ApiProperty({ example: ['client_secret_basic'] })
  revocation_endpoint_auth_methods_supported!: string[];

  /** OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens are sent */
  @ApiProperty({ example: true })
  backchannel_logout_supported!: boolean;

  /** Logout tokens carry the session (`sid`) */
  @ApiProperty({ example: true })
  backchannel_logout_session_supported!: boolean;

  /**
   * Extension member of this service, not a registered one: the SSF transmitter metadata
   * (`/.well-known/ssf-configuration`). SSF 1.0 and the CAEP interoperability profile
   * define no discovery member that points to it.
   */
  @ApiProperty({ format: 'uri' })
  ssf_configuration_uri!: string;
}
