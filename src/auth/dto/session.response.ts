import { ApiProperty } from '@nestjs/swagger';
import { type SessionView } from '../services/account.service';

export class SessionResponse implements SessionView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'The last refresh' })
  lastActiveAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Absolute expiry' })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ipAddress!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;
}

export class OwnSessionResponse extends SessionResponse {
  @ApiProperty({ description: 'Whether this is the session of the presented token' })
  current!: boolean;
}
