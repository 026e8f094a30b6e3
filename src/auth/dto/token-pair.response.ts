import { ApiProperty } from '@nestjs/swagger';
import { type TokenPair } from '../services/auth.service';

class UserSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ example: [] })
  roles!: string[];
}

export class TokenPairResponse implements TokenPair {
  /** ES256 JWT; claims iss, aud, sub, sid, jti, iat, exp, auth_time, roles */
  accessToken!: string;

  /** Opaque, single use; 256 random bits */
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  /** Access token lifetime in seconds */
  @ApiProperty({ example: 900 })
  expiresIn!: number;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  user!: UserSummary;
}
