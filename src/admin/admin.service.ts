import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error';
import { type ClientContext } from '../common/http/client-context';
import { type AuthenticatedUser } from '../auth/authenticated-user';
import { type AuditEvent } from '../auth/entities/audit-event.entity';
import { type Session } from '../auth/entities/session.entity';
import { AccountService } from '../auth/services/account.service';
import { AuditService } from '../auth/services/audit.service';
import { SessionService } from '../auth/services/session.service';
import { UserService } from '../auth/services/user.service';
import { AuditCursorCodec } from './audit-cursor';
import { type AuditEventsQuery } from './dto/audit-events.query';

export interface AdminLogoutResult {
  message: string;
  timestamp: string;
  revokedSessions: number;
}

export type AuditEventView = Omit<AuditEvent, 'occurredAt'> & { occurredAt: string };

const DEFAULT_PAGE = 50;

/** The admin dashboard's operations: global logout of a user, their sessions, the audit trail. */
@Injectable()
export class AdminService {
  constructor(
    private readonly users: UserService,
    private readonly sessionLifecycle: SessionService,
    private readonly account: AccountService,
    private readonly audit: AuditService,
  ) {}

  /** Ends every session of the user exactly as a global logout does, audited in the same statement. */
  async logoutUser(
    admin: AuthenticatedUser,
    userId: string,
    reason: string | undefined,
    client: ClientContext,
  ): Promise<AdminLogoutResult> {
    await this.requireUser(userId);
    const { timestamp, endedSessionIds } = await this.sessionLifecycle.logoutEverywhere({
      admin,
      userId,
      reason: reason ?? null,
      client,
    });
    return {
      message: `Ended ${endedSessionIds.length} session(s)`,
      timestamp: timestamp.toISOString(),
      revokedSessions: endedSessionIds.length,
    };
  }

  async sessionsOf(userId: string): Promise<Session[]> {
    await this.requireUser(userId);
    return this.account.listSessions(userId);
  }

  async auditTrail(
    query: AuditEventsQuery,
  ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from > to) {
      throw new DomainError('validation_failed', 'from must not be after to');
    }
    const limit = query.limit ?? DEFAULT_PAGE;
    // One extra row tells whether another page exists without a count query.
    const rows = await this.audit.page({
      userId: query.userId,
      action: query.action,
      from,
      to,
      before: query.cursor ? AuditCursorCodec.decode(query.cursor) : undefined,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(({ position: _position, ...event }) => ({
        ...event,
        occurredAt: event.occurredAt.toISOString(),
      })),
      nextCursor: rows.length > limit && last ? AuditCursorCodec.encode(last.position) : null,
    };
  }

  private async requireUser(userId: string): Promise<void> {
    if (!(await this.users.exists(userId))) {
      throw new DomainError('not_found', 'No such user');
    }
  }
}
