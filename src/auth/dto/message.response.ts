import { ApiProperty } from '@nestjs/swagger';

/** Logout and password change: what happened and when (the audit event's instant). */
export class MessageResponse {
  @ApiProperty({ example: 'Logged out of all sessions' })
  message!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-24T18:40:00.000Z' })
  timestamp!: string;
}
