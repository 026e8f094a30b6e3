import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error';
import { type ClientContext } from '../common/http/client-context';
import { type AuthenticatedUser } from '../auth/authenticated-user';
import { type Session } from '../auth/entities/session.entity';
import { type UserSummary } from '../auth/repositories/user.repository';
import { AccountStatusService } from '../auth/services/account-status.service';
import { SessionService } from '../auth/services/session.service';
import { UserDirectoryService } from '../auth/services/user-directory.service';
import { Clock } from '../common/clock/clock';
import { StepUpPolicy } from './step-up.policy';
import { UserCursorCodec } from './user-cursor';

export interface AdminLogoutResult {
  message: string;
  timestamp: string;
  revokedSessions: number;
}

export interface AdminUserView {
  id: string;
  email: string;
  roles: string[];
  status: 'active' | 'suspended';
  createdAt: string;
  liveSessions: number;
}

export interface StatusChangeView {
  userId: string;
  status: 'active' | 'suspended';
  changed: boolean;
  revokedSessions: number;
  timestamp: string;
}

const DEFAULT_USER_PAGE = 20;

const noSuchUser = () => new DomainError('not_found', 'No such user');

const toUserView = (user: UserSummary): AdminUserView => ({
  id: user.id,
  email: user.email,
  roles: user.roles,
  status: user.status,
  createdAt: user.createdAt.toISOString(),
  liveSessions: user.liveSessions,
});

/** The admin console's operations on users and sessions. */
@Injectable()
export class AdminService {
  constructor(
    private readonly clock: Clock,
    private readonly directory: UserDirectoryService,
    private readonly accountStatus: AccountStatusService,
    private readonly sessionLifecycle: SessionService,
    private readonly stepUp: StepUpPolicy,
  ) {}

  async searchUsers(
    query: string | undefined,
    limit = DEFAULT_USER_PAGE,
    cursor?: string,
  ): Promise<{ items: AdminUserView[]; nextCursor: string | null }> {
    const after = cursor ? UserCursorCodec.decode(cursor) : undefined;
    // One extra row tells whether another page exists without a count query.
    const rows = await this.directory.search(query ?? '', limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toUserView),
      nextCursor:
        rows.length > limit && last
          ? UserCursorCodec.encode({ email: last.email.toLowerCase(), id: last.id })
          : null,
    };
  }

  async user(userId: string): Promise<AdminUserView> {
    const user = await this.directory.find(userId);
    if (!user) throw noSuchUser();
    return toUserView(user);
  }

  async sessionsOf(userId: string): Promise<Session[]> {
    await this.requireUser(userId);
    return this.directory.liveSessions(userId);
  }

  /** Ends every session of the user exactly as a global logout does, audited in the same statement. */
  async logoutUser(
    admin: AuthenticatedUser,
    userId: string,
    reason: string | undefined,
    client: ClientContext,
  ): Promise<AdminLogoutResult> {
    this.stepUp.require(admin);
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

  async endSession(
    admin: AuthenticatedUser,
    sessionId: string,
    reason: string | undefined,
    client: ClientContext,
  ): Promise<void> {
    const ended = await this.sessionLifecycle.revokeAsAdmin({
      admin,
      sessionId,
      reason: reason ?? null,
      client,
    });
    if (!ended) throw new DomainError('not_found', 'No such live session');
  }

  async suspend(
    admin: AuthenticatedUser,
    userId: string,
    reason: string,
    client: ClientContext,
  ): Promise<StatusChangeView> {
    this.stepUp.require(admin);
    const change = await this.accountStatus.suspend(admin, userId, reason, client);
    return { userId, ...change, timestamp: change.timestamp.toISOString() };
  }

  async reactivate(
    admin: AuthenticatedUser,
    userId: string,
    reason: string,
    client: ClientContext,
  ): Promise<StatusChangeView> {
    const change = await this.accountStatus.reactivate(admin, userId, reason, client);
    return { userId, ...change, timestamp: change.timestamp.toISOString() };
  }

  /** The emergency brake. An instant in the future means now: sessions not yet started are never targeted. */
  async revokeAll(
    admin: AuthenticatedUser,
    reason: string,
    issuedBefore: string | undefined,
    client: ClientContext,
  ): Promise<{ revokedSessions: number; timestamp: string }> {
    this.stepUp.require(admin);
    const now = this.clock.now();
    const requested = issuedBefore ? new Date(issuedBefore) : now;
    const result = await this.sessionLifecycle.revokeAllStartedBefore({
      admin,
      issuedBefore: requested > now ? now : requested,
      reason,
      client,
    });
    return { revokedSessions: result.revokedSessions, timestamp: result.timestamp.toISOString() };
  }

  private async requireUser(userId: string): Promise<void> {
    if (!(await this.directory.exists(userId))) throw noSuchUser();
  }
}
