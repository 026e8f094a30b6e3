import { ApiProperty } from '@nestjs/swagger';

/** The contract's error body, as OpenAPI describes it. */
export class ErrorResponse {
  @ApiProperty({ example: 401 })
  statusCode!: number;

  /** The reason phrase (the RFC 6749 code on /oauth) */
  @ApiProperty({ example: 'Unauthorized' })
  error!: string;

  @ApiProperty({
    example: 'Access token is missing, malformed, expired or not signed by this service',
  })
  message!: string;

  /** A stable code clients may branch on */
  @ApiProperty({ example: 'invalid_token' })
  code!: string;
}
