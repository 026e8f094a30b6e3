import { ApiProperty } from '@nestjs/swagger';

export class AdminUserResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty({ type: [String], example: ['admin'] })
  roles!: string[];

  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: 'active' | 'suspended';

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ example: 2, description: 'Sessions that are live now' })
  liveSessions!: number;
}

export class AdminUserPageResponse {
  @ApiProperty({ type: [AdminUserResponse], description: 'In email order' })
  items!: AdminUserResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}

export class StatusChangeResponse {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: 'active' | 'suspended';

  @ApiProperty({ description: 'False when the account already had this status' })
  changed!: boolean;

  @ApiProperty({ example: 2, description: 'Sessions this call ended' })
  revokedSessions!: number;

  @ApiProperty({ format: 'date-time' })
  timestamp!: string;
}
