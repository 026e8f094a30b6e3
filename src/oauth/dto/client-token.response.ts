import { ApiProperty } from '@nestjs/swagger';

/** RFC 6749 §5.1: the token response (no refresh token for client credentials, §4.4.3). */
export class ClientTokenResponse {
  /** A JWT (`typ: at+jwt`, RFC 9068) with `client_id` and no `sid` */
  access_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: string;

  /** Lifetime in seconds (CLIENT_TOKEN_TTL) */
  @ApiProperty({ example: 900 })
  expires_in!: number;
}
