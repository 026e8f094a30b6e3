import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { UserRepository } from '../repositories/user.repository';
import { AuditService } from './audit.service';
import { SessionService } from './session.service';

export interface StatusChange {
  status: 'active' | 'suspended';
  /** Whether this call changed it (a repeated suspension changes nothing and ends nothing new). */
  changed: boolean;
  revokedSessions: number;
  timestamp: Date;
}

const noSuchUser = () => new DomainError('not_found', 'No such user');

/** Suspending and reactivating accounts (the admin console's actions on a user). */
@Injectable()
export class AccountStatusService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly audit: AuditService,
    private readonly sessionLifecycle: SessionService,
  ) {}

  /**
   * Marks the account suspended and ends every session it has, in one transaction audited as
   * `user_suspended`: from the commit on it cannot log in or refresh, and its access tokens
   * are refused. Suspending a suspended account ends anything left and changes nothing else.
   */
  async suspend(
    admin: AuthenticatedUser,
    userId: string,
    reason: string,
    client: ClientContext,
  ): Promise<StatusChange> {
    const at = this.clock.now();
    let previous: string | null = null;
    const ended = await this.sessionLifecycle.endAllAlong(
      userId,
      {
        reason: 'suspended',
        at,
        audit: this.audit.event({
          action: 'user_suspended',
          outcome: 'success',
          client,
          actorUserId: admin.userId,
          subjectUserId: userId,
          scope: 'global',
          reason,
          occurredAt: at,
        }),
      },
      async (manager) => {
        previous = await this.users.setStatus(manager, userId, 'suspended', at);
        if (previous === null) throw noSuchUser();
      },
    );
    return {
      status: 'suspended',
      changed: previous !== 'suspended',
      revokedSessions: ended.length,
      timestamp: at,
    };
  }

  /** Lets the account log in again. Sessions ended by the suspension stay ended. */
  async reactivate(
    admin: AuthenticatedUser,
    userId: string,
    reason: string,
    client: ClientContext,
  ): Promise<StatusChange> {
    const at = this.clock.now();
    const previous = await this.dataSource.transaction(async (manager) => {
      const before = await this.users.setStatus(manager, userId, 'active', at);
      if (before === null) throw noSuchUser();
      await this.audit.recordWith(manager, {
        action: 'user_reactivated',
        outcome: 'success',
        client,
        actorUserId: admin.userId,
        subjectUserId: userId,
        reason,
        occurredAt: at,
      });
      return before;
    });
    return { status: 'active', changed: previous !== 'active', revokedSessions: 0, timestamp: at };
  }
}
