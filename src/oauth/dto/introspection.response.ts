import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662 §2.2: only `active` for anything but a live token; the claims for a live one. */
export class IntrospectionResponse {
  @ApiProperty()
  active!: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  sub?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  sid?: string;

  @ApiPropertyOptional()
  jti?: string;

  @ApiPropertyOptional({ description: 'Seconds since the epoch' })
  iat?: number;

  @ApiPropertyOptional({ description: 'Seconds since the epoch' })
  exp?: number;

  @ApiPropertyOptional()
  iss?: string;

  @ApiPropertyOptional()
  aud?: string;

  @ApiPropertyOptional({ type: [String] })
  roles?: string[];
}
