import { ApiProperty } from '@nestjs/swagger';

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({
    example: 'logout',
    description:
      'login, logout, admin_logout, session_revoked, refresh_token_reused, reauthenticate, password_changed, session_expired, ...',
  })
  action!: string;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  actorUserId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  subjectUserId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sessionId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'local' })
  scope!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'A stable refusal code or an admin’s reason',
  })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true })
  ipAddress!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;
}

export class AuditEventPageResponse {
  @ApiProperty({ type: [AuditEventResponse], description: 'Newest first' })
  items!: AuditEventResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}
