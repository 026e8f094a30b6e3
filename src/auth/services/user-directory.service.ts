import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { normalizeEmail } from '../email/email-address';
import { type Session } from '../entities/session.entity';
import { type UserSearch, type UserSummary, UserRepository } from '../repositories/user.repository';
import { AccountService } from './account.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finding accounts for the admin console: search, one account, its live sessions. */
@Injectable()
export class UserDirectoryService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly account: AccountService,
  ) {}

  /**
   * Users whose email starts with `query` (case-insensitively), or whose id it is, in email
   * order; `after` continues from the last row of the previous page.
   */
  search(query: string, limit: number, after?: UserSearch['after']): Promise<UserSummary[]> {
    const trimmed = query.trim();
    return this.users.search({
      // The same normal form the addresses are stored in, so `ＡＤＡ` finds `ada@…`.
      emailPrefix: normalizeEmail(trimmed),
      id: UUID.test(trimmed) ? trimmed.toLowerCase() : undefined,
      after,
      limit,
      ...this.liveWindow(),
    });
  }

  /** The account with its live session count; `null` when there is no such user. */
  find(userId: string): Promise<UserSummary | null> {
    const { now, idleBefore } = this.liveWindow();
    return this.users.summary(userId, now, idleBefore);
  }

  async exists(userId: string): Promise<boolean> {
    return (await this.users.findById(userId)) !== null;
  }

  liveSessions(userId: string): Promise<Session[]> {
    return this.account.listSessions(userId);
  }

  /** Live means unended and within both deadlines, exactly as `GET /auth/sessions` counts. */
  private liveWindow(): { now: Date; idleBefore: Date } {
    const now = this.clock.now();
    return { now, idleBefore: new Date(now.getTime() - this.config.sessionIdleTimeoutMs) };
  }
}
