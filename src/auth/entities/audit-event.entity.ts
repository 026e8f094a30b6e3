import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditAction =
  | 'register'
  | 'login'
  | 'refresh'
  | 'logout'
  | 'admin_logout'
  | 'session_revoked'
  | 'refresh_token_reused'
  | 'reauthenticate'
  | 'password_changed'
  | 'session_expired'
  | 'client_token'
  | 'token_introspection'
  | 'token_revocation'
  | 'admin_session_revoked'
  | 'user_suspended'
  | 'user_reactivated'
  | 'admin_revoke_all'
  | 'audit_retention';

export type AuditOutcome = 'success' | 'failure';

@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'text' })
  action!: AuditAction;

  @Column({ type: 'text' })
  outcome!: AuditOutcome;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'subject_user_id', type: 'uuid', nullable: true })
  subjectUserId!: string | null;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text', nullable: true })
  scope!: string | null;

  /** A stable code (`rate_limited`, `invalid_token`, ...) or an admin's free text. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;
}
