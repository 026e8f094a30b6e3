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
}
