import { ApiProperty } from '@nestjs/swagger';
import { type TokenPair } from '../services/auth.service';

class UserSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ type: [String], example: [] })
  roles!: string[];
}

export class TokenPairResponse implements TokenPair {
  @ApiProperty({
    description: 'ES256 JWT; claims iss, aud, sub, sid, jti, iat, exp, auth_time, roles',
  })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque, single use; 256 random bits' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ example: 900, description: 'Access token lifetime in seconds' })
  expiresIn!: number;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiProperty({ type: UserSummary })
  user!: UserSummary;
}
