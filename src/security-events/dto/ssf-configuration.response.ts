import { ApiProperty } from '@nestjs/swagger';

class AuthorizationScheme {
  @ApiProperty({ example: 'urn:ietf:rfc:6749' })
  spec_urn!: string;
}

/** SSF 1.0 §7.1: transmitter configuration metadata. */
export class SsfConfigurationResponse {
  @ApiProperty({ example: '1_0' })
  spec_version!: string;

  issuer!: string;

  @ApiProperty({ format: 'uri' })
  jwks_uri!: string;

  @ApiProperty({ example: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'] })
  delivery_methods_supported!: string[];

  @ApiProperty({ format: 'uri' })
  configuration_endpoint!: string;

  @ApiProperty({ format: 'uri' })
  status_endpoint!: string;

  @ApiProperty({ format: 'uri' })
  verification_endpoint!: string;

  authorization_schemes!: AuthorizationScheme[];

  @ApiProperty({ example: 'ALL' })
  default_subjects!: string;
}
