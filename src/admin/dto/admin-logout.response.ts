import { ApiProperty } from '@nestjs/swagger';
import { type AdminLogoutResult } from '../admin.service';

export class AdminLogoutResponse implements AdminLogoutResult {
  @ApiProperty({ example: 'Ended 3 session(s)' })
  message!: string;

  /** The instant of the revocation and its audit event */
  @ApiProperty({ format: 'date-time' })
  timestamp!: string;

  @ApiProperty({ example: 3 })
  revokedSessions!: number;
}
