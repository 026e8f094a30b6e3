import { ApiProperty } from '@nestjs/swagger';

/** The contract's error body, as OpenAPI describes it. */
export class ErrorResponse {
  @ApiProperty({ example: 401 })
  statusCode!: number;

  @ApiProperty({
    example: 'Unauthorized',
    description: 'The reason phrase (the RFC 6749 code on /oauth)',
  })
  error!: string;

  @ApiProperty({
    example: 'Access token is missing, malformed, expired or not signed by this service',
  })
  message!: string;

  @ApiProperty({ example: 'invalid_token', description: 'A stable code clients may branch on' })
  code!: string;
}
