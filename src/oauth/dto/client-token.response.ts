import { ApiProperty } from '@nestjs/swagger';

/** RFC 6749 §5.1: the token response (no refresh token for client credentials, §4.4.3). */
export class ClientTokenResponse {
  @ApiProperty({ description: 'A JWT (`typ: at+jwt`, RFC 9068) with `client_id` and no `sid`' })
  access_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: string;

  @ApiProperty({ example: 900, description: 'Lifetime in seconds (CLIENT_TOKEN_TTL)' })
  expires_in!: number;
}
