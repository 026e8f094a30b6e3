import { ApiProperty } from '@nestjs/swagger';
import { type SessionView } from '../services/account.service';

export class SessionResponse implements SessionView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  /** The last refresh */
  @ApiProperty({ format: 'date-time' })
  lastActiveAt!: string;

  /** Absolute expiry */
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ example: '203.0.113.7' })
  ipAddress!: string | null;

  userAgent!: string | null;
}

export class OwnSessionResponse extends SessionResponse {
  /** Whether this is the session of the presented token */
  current!: boolean;
}
