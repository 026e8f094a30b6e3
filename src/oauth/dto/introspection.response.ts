import { ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662 §2.2: only `active` for anything but a live token; the claims for a live one. */
export class IntrospectionResponse {
  active!: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  sub?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  sid?: string;

  jti?: string;

  /** Seconds since the epoch */
  iat?: number;

  /** Seconds since the epoch */
  exp?: number;

  iss?: string;

  aud?: string;

  roles?: string[];
}
