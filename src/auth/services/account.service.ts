import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { type Session } from '../entities/session.entity';
import { type User } from '../entities/user.entity';
import { PasswordPolicy } from '../passwords/password-policy';
import { SessionRepository } from '../repositories/session.repository';
import { UserRepository } from '../repositories/user.repository';
import { RevocationService } from '../revocation/revocation.service';
import { AccessTokenService } from '../tokens/access-token.service';
import { AuditService } from './audit.service';
import { PasswordHasher } from './password-hasher';
import { SessionService } from './session.service';

export interface SessionView {
  id: string;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface Reauthenticated {
  accessToken: string;
  expiresIn: number;
  reauthenticatedAt: string;
}

const sessionEnded = () =>
  new DomainError('invalid_token', 'The session of this access token has ended');

export function toSessionView(session: Session): SessionView {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastActiveAt: session.lastActiveAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ipAddress: session.ipAddress,
    userAgent: session.userAgent,
  };
}

/** What a signed-in user does to their own account: reauthenticate, change password, manage sessions. */
@Injectable()
export class AccountService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly passwords: PasswordHasher,
    private readonly passwordPolicy: PasswordPolicy,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
    private readonly revocation: RevocationService,
    private readonly sessionLifecycle: SessionService,
  ) {}

  /** Checks the password again and stamps the session; the new access token carries the fresh `auth_time`. */
  async reauthenticate(
    bearer: AuthenticatedUser & { sessionId: string },
    password: string,
    client: ClientContext,
  ): Promise<Reauthenticated> {
    const user = await this.requirePassword(bearer, password);
    const at = this.clock.now();
    await this.dataSource.transaction(async (manager) => {
      const session = await this.sessions.lockById(manager, bearer.sessionId);
      if (!session || session.endedAt || session.userId !== bearer.userId) throw sessionEnded();
      await this.sessions.markReauthenticated(manager, session.id, at);
      await this.audit.recordWith(manager, {
        action: 'reauthenticate',
        outcome: 'success',
        client,
        actorUserId: bearer.userId,
        sessionId: session.id,
        occurredAt: at,
      });
    });
    const issued = await this.accessTokens.issue({
      userId: bearer.userId,
      sessionId: bearer.sessionId,
      // The account's roles now, as a refresh would give: never the presented token's, which
      // reauthenticating every few minutes would otherwise keep alive after a role is removed.
      roles: user.roles,
      authTime: at,
    });
    return { ...issued, reauthenticatedAt: at.toISOString() };
  }

  /** Stores the new hash and ends every other session of the user, all in one transaction. */
  async changePassword(
    bearer: AuthenticatedUser & { sessionId: string },
    currentPassword: string,
    newPassword: string,
    client: ClientContext,
  ): Promise<{ message: string; timestamp: string }> {
    const user = await this.requirePassword(bearer, currentPassword);
    this.passwordPolicy.check(newPassword, user.email);
    const passwordHash = await this.passwords.hash(newPassword);
    const at = this.clock.now();
    const ended = await this.dataSource.transaction(async (manager) => {
      const current = await this.sessions.lockById(manager, bearer.sessionId);
      if (!current || current.endedAt || current.userId !== user.id) throw sessionEnded();
      await this.users.updatePasswordHash(manager, user.id, passwordHash, at);
      await this.audit.recordWith(manager, {
        action: 'password_changed',
        outcome: 'success',
        client,
        actorUserId: user.id,
        sessionId: current.id,
        occurredAt: at,
      });
      return this.sessions.endSessions(
        {
          userId: user.id,
          sessionId: current.id,
          selection: 'all-but',
          reason: 'password_changed',
          at,
          credentialChange: true,
          audit: this.audit.event({
            action: 'logout',
            outcome: 'success',
            client,
            actorUserId: user.id,
            sessionId: current.id,
            scope: 'others',
            reason: 'password_changed',
            occurredAt: at,
          }),
        },
        manager,
      );
    });
    await this.revocation.sessionsEnded(ended);
    return {
      message: 'Password changed; every other session has ended',
      timestamp: at.toISOString(),
    };
  }

  async listSessions(userId: string): Promise<Session[]> {
    const now = this.clock.now();
    return this.sessions.listActive(
      userId,
      now,
      new Date(now.getTime() - this.config.sessionIdleTimeoutMs),
    );
  }

  /** Ends one of the caller's own live sessions; 404 otherwise, whether or not it exists. */
  async revokeSession(
    bearer: AuthenticatedUser,
    sessionId: string,
    client: ClientContext,
  ): Promise<void> {
    const revoked = await this.sessionLifecycle.revoke({
      userId: bearer.userId,
      sessionId,
      actorUserId: bearer.userId,
      reason: null,
      client,
    });
    if (!revoked) throw new DomainError('not_found', 'No such active session');
  }

  /** The refusal is audited by the route's refusal filter, with the user and session it names. */
  private async requirePassword(bearer: AuthenticatedUser, password: string): Promise<User> {
    const user = await this.users.findById(bearer.userId);
    const valid = user ? await this.passwords.verify(user.passwordHash, password) : false;
    if (!user || !valid) {
      throw new DomainError(
        'invalid_credentials',
        'The password is not correct',
        {},
        { userId: bearer.userId, sessionId: bearer.sessionId },
      );
    }
    return user;
  }
}
