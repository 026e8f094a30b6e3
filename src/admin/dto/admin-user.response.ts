import { ApiProperty } from '@nestjs/swagger';

export class AdminUserResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ example: ['admin'] })
  roles!: string[];

  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: 'active' | 'suspended';

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  /** Sessions that are live now */
  @ApiProperty({ example: 2 })
  liveSessions!: number;
}

export class AdminUserPageResponse {
  /** In email order */
  items!: AdminUserResponse[];

  /** Pass as `cursor` for the next page; null on the last */
  nextCursor!: string | null;
}

export class StatusChangeResponse {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: 'active' | 'suspended';

  /** False when the account already had this status */
  changed!: boolean;

  /** Sessions this call ended */
  @ApiProperty({ example: 2 })
  revokedSessions!: number;

  @ApiProperty({ format: 'date-time' })
  timestamp!: string;
}
