import { ApiProperty } from '@nestjs/swagger';
import { type Reauthenticated } from '../services/account.service';

export class ReauthenticatedResponse implements Reauthenticated {
  /** A new access token for the same session with a fresh auth_time */
  accessToken!: string;

  @ApiProperty({ example: 900 })
  expiresIn!: number;

  @ApiProperty({ format: 'date-time' })
  reauthenticatedAt!: string;
}
