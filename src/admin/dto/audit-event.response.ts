import { ApiProperty } from '@nestjs/swagger';

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  /**
   * login, logout, admin_logout, session_revoked, refresh_token_reused, reauthenticate,
   * password_changed, session_expired, ...
   */
  @ApiProperty({ example: 'logout' })
  action!: string;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;

  @ApiProperty({ format: 'uuid' })
  actorUserId!: string | null;

  @ApiProperty({ format: 'uuid' })
  subjectUserId!: string | null;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string | null;

  @ApiProperty({ example: 'local' })
  scope!: string | null;

  /** A stable refusal code or an admin’s reason */
  reason!: string | null;

  ipAddress!: string | null;

  userAgent!: string | null;

  requestId!: string | null;
}

export class AuditEventPageResponse {
  /** Newest first */
  items!: AuditEventResponse[];

  /** Pass as `cursor` for the next page; null on the last */
  nextCursor!: string | null;
}
