import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Why a session ended; stored on the row and mirrored by its audit event. */
export type SessionEndReason =
  | 'logout'
  | 'admin_logout'
  | 'session_revoked'
  | 'refresh_token_reused'
  | 'password_changed'
  | 'expired'
  | 'idle'
  | 'suspended';

@Entity({ name: 'sessions' })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Moves on every refresh; the idle timeout counts from here. */
  @Column({ name: 'last_active_at', type: 'timestamptz' })
  lastActiveAt!: Date;

  /** Absolute expiry: the refresh token lifetime from login. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime!: Date;

  @Column({ name: 'reauthenticated_at', type: 'timestamptz', nullable: true })
  reauthenticatedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'end_reason', type: 'text', nullable: true })
  endReason!: SessionEndReason | null;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;
}
