import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { type ClientContext } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { type Session, type SessionEndReason } from '../entities/session.entity';
import { type User } from '../entities/user.entity';
import { type LogoutScope } from '../logout-scope';
import { type NewAuditEvent } from '../repositories/audit-event.repository';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import {
  type EndSessionsCommand,
  type Ending,
  type SessionSelection,
  SessionRepository,
} from '../repositories/session.repository';
import { UserRepository } from '../repositories/user.repository';
import { Metrics } from '../../metrics/metrics';
import { RevocationService } from '../revocation/revocation.service';
import { AuditService } from './audit.service';
import { RefreshTokenCodec } from './refresh-token.codec';

export interface StartedSession {
  session: Session;
  refreshToken: string;
}

export interface RotatedSession {
  session: Session;
  user: User;
  refreshToken: string;
}

/** A refresh token that is live, with its session and the roles its next access token would carry. */
export interface LiveRefreshToken {
  userId: string;
  sessionId: string;
  roles: string[];
  issuedAt: Date;
  /** Whichever deadline comes first: the session's absolute expiry or its idle timeout. */
  expiresAt: Date;
}

export interface LogoutResult {
  timestamp: Date;
  endedSessionIds: string[];
}

/**
 * Sessions per statement of the emergency brake: each batch holds its row locks briefly, and the
 * event loop and the connection pool serve other requests between batches.
 */
export const REVOKE_ALL_BATCH_SIZE = 500;

const SCOPE_SELECTION: Record<LogoutScope, SessionSelection> = {
  global: 'all',
  local: 'only',
  others: 'all-but',
};

/** The outcome of a refresh decided under the session lock; refusals that revoke must commit first. */
type RefreshDecision =
  | { kind: 'rotated'; result: RotatedSession }
  | { kind: 'refused'; error: DomainError; ending?: Ending };

const invalidRefresh = (session?: Session) =>
  new DomainError(
    'invalid_refresh_token',
    'Refresh token is invalid, expired or revoked',
    {},
    { userId: session?.userId, sessionId: session?.id },
  );

/** Owns the session lifecycle: start at login, rotate on refresh, end on logout. */
@Injectable()
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sessions: SessionRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly users: UserRepository,
    private readonly audit: AuditService,
    private readonly revocation: RevocationService,
    private readonly metrics: Metrics,
  ) {}

  /** Creates a session and its first refresh token inside the caller's transaction. */
  async start(
    manager: EntityManager,
    user: User,
    client: ClientContext,
    now: Date,
  ): Promise<StartedSession> {
    const session = await this.sessions.insert(manager, {
      userId: user.id,
      createdAt: now,
      lastActiveAt: now,
      authTime: now,
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlMs),
      ipAddress: client.ipAddress,
      userAgent: client.userAgent,
    });
    const { token, hash } = RefreshTokenCodec.generate();
    await this.refreshTokens.insert(manager, {
      sessionId: session.id,
      tokenHash: hash,
      parentId: null,
      createdAt: now,
    });
    return { session, refreshToken: token };
  }

  /**
   * Single-use rotation with reuse detection. The session row is locked first, so two
   * refreshes of one token (or a refresh and a logout) are decided one after the other.
   */
  async rotate(presentedToken: string, client: ClientContext): Promise<RotatedSession> {
    if (!RefreshTokenCodec.isWellFormed(presentedToken)) throw invalidRefresh();
    const tokenHash = RefreshTokenCodec.hash(presentedToken);
    const sessionId = await this.refreshTokens.findSessionIdByHash(tokenHash);
    if (!sessionId) throw invalidRefresh();

    const decision = await this.dataSource.transaction((manager) =>
      this.decideRefresh(manager, sessionId, tokenHash, client),
    );
    if (decision.kind === 'rotated') return decision.result;
    if (decision.ending) await this.revocation.sessionsEnded(decision.ending);
    throw decision.error;
  }

  private async decideRefresh(
    manager: EntityManager,
    sessionId: string,
    tokenHash: Buffer,
    client: ClientContext,
  ): Promise<RefreshDecision> {
    const session = await this.sessions.lockById(manager, sessionId);
    const token = await this.refreshTokens.findByHash(manager, tokenHash);
    if (!session || !token || session.endedAt || token.revokedAt)
      return { kind: 'refused', error: invalidRefresh(session ?? undefined) };
    const now = this.clock.now();

    const expiry = this.expiryOf(session, now);
    if (expiry) {
      const ending = await this.endWithAudit(manager, session, expiry, now, client);
      return { kind: 'refused', error: invalidRefresh(session), ending };
    }

    if (token.retiredAt) {
      const current = await this.refreshTokens.findCurrentForSession(manager, session.id);
      const withinGrace =
        now.getTime() - token.retiredAt.getTime() < this.config.refreshTokenReuseIntervalMs;
      if (current?.parentId === token.id && withinGrace) {
        return {
          kind: 'refused',
          error: new DomainError(
            'refresh_conflict',
            'This refresh token was just rotated by a concurrent request; use its tokens',
            {},
            { userId: session.userId, sessionId: session.id },
          ),
        };
      }
      this.metrics.refreshReuse.inc();
      const ending = await this.endWithAudit(manager, session, 'refresh_token_reused', now, client);
      return { kind: 'refused', error: invalidRefresh(session), ending };
    }

    const user = await this.users.findById(session.userId, manager);
    // A suspension ends every session, so this only catches a refresh racing the suspension.
    if (!user || user.status !== 'active')
      return { kind: 'refused', error: invalidRefresh(session) };
    await this.refreshTokens.retire(manager, token.id, now);
    const next = RefreshTokenCodec.generate();
    await this.refreshTokens.insert(manager, {
      sessionId: session.id,
      tokenHash: next.hash,
      parentId: token.id,
      createdAt: now,
    });
    await this.sessions.touch(manager, session.id, now);
    return {
      kind: 'rotated',
      result: { session: { ...session, lastActiveAt: now }, user, refreshToken: next.token },
    };
  }

  private expiryOf(session: Session, now: Date): SessionEndReason | undefined {
    if (session.expiresAt.getTime() <= now.getTime()) return 'expired';
    if (session.lastActiveAt.getTime() + this.config.sessionIdleTimeoutMs <= now.getTime())
      return 'idle';
    return undefined;
  }

  private endWithAudit(
    manager: EntityManager,
    session: Session,
    reason: SessionEndReason,
    now: Date,
    client: ClientContext,
  ): Promise<Ending> {
    return this.sessions.endSessions(
      {
        userId: session.userId,
        sessionId: session.id,
        selection: 'only',
        reason,
        at: now,
        audit: this.audit.event({
          action: reason === 'refresh_token_reused' ? 'refresh_token_reused' : 'session_expired',
          outcome: 'success',
          client,
          actorUserId: session.userId,
          sessionId: session.id,
          reason,
          occurredAt: now,
        }),
      },
      manager,
    );
  }

  /**
   * Ends one live session of a user (refresh tokens, state and access tokens), audited as
   * `session_revoked` in the same statement. `false` when it was not one of the user's live sessions.
   */
  async revoke(command: {
    userId: string;
    sessionId: string;
    actorUserId: string | null;
    reason: string | null;
    client: ClientContext;
  }): Promise<boolean> {
    const at = this.clock.now();
    const ended = await this.end({
      userId: command.userId,
      sessionId: command.sessionId,
      selection: 'only',
      reason: 'session_revoked',
      at,
      auditWhen: 'ended',
      audit: this.audit.event({
        action: 'session_revoked',
        outcome: 'success',
        client: command.client,
        actorUserId: command.actorUserId,
        subjectUserId: command.userId,
        sessionId: command.sessionId,
        reason: command.reason,
        occurredAt: at,
      }),
    });
    return ended.sessionIds.length > 0;
  }

  /**
   * Ends the sessions a logout's scope selects, revokes their refresh tokens and writes the
   * audit event, in one statement. A token of an already-ended session ends nothing more.
   * The statement is also the session check (the guard does not look the session up on
   * this route): a session that is not one of the user's is refused and nothing is written.
   */
  async logout(command: {
    userId: string;
    sessionId: string;
    scope: LogoutScope;
    client: ClientContext;
  }): Promise<LogoutResult> {
    const timestamp = this.clock.now();
    const ending = await this.end({
      userId: command.userId,
      sessionId: command.sessionId,
      selection: SCOPE_SELECTION[command.scope],
      reason: 'logout',
      at: timestamp,
      requireLiveSession: true,
      audit: this.audit.event({
        action: 'logout',
        outcome: 'success',
        client: command.client,
        actorUserId: command.userId,
        sessionId: command.sessionId,
        scope: command.scope,
        occurredAt: timestamp,
      }),
    });
    if (!ending.sessionKnown) {
      throw new DomainError('invalid_token', 'The session of this access token is not known');
    }
    this.metrics.logouts.inc({ scope: command.scope, outcome: 'success' });
    return { timestamp, endedSessionIds: ending.sessionIds };
  }

  /** The live refresh token `presented` is, or `null` (unknown, retired, revoked, expired). */
  async findLiveRefreshToken(presented: string): Promise<LiveRefreshToken | null> {
    if (!RefreshTokenCodec.isWellFormed(presented)) return null;
    const now = this.clock.now();
    const live = await this.refreshTokens.findLive(
      RefreshTokenCodec.hash(presented),
      now,
      new Date(now.getTime() - this.config.sessionIdleTimeoutMs),
    );
    if (!live) return null;
    const user = await this.users.findById(live.userId);
    if (!user) return null;
    // The live token was issued by the session's last refresh (or its login), which is also
    // when its idle timeout started: it dies at whichever deadline comes first.
    const idleDeadline = live.issuedAt.getTime() + this.config.sessionIdleTimeoutMs;
    return {
      userId: live.userId,
      sessionId: live.sessionId,
      roles: user.roles,
      issuedAt: live.issuedAt,
      expiresAt: new Date(Math.min(live.expiresAt.getTime(), idleDeadline)),
    };
  }

  /** The session a refresh token belongs to, whatever the token's state (RFC 7009 revocation). */
  findRefreshTokenOwner(presented: string): Promise<{ userId: string; sessionId: string } | null> {
    return RefreshTokenCodec.isWellFormed(presented)
      ? this.refreshTokens.findOwner(RefreshTokenCodec.hash(presented))
      : Promise.resolve(null);
  }

  /** An admin's global logout of a user: every session ends, audited as `admin_logout`. */
  async logoutEverywhere(command: {
    admin: AuthenticatedUser;
    userId: string;
    reason: string | null;
    client: ClientContext;
  }): Promise<LogoutResult> {
    const timestamp = this.clock.now();
    const { sessionIds: endedSessionIds } = await this.end({
      userId: command.userId,
      selection: 'all',
      reason: 'admin_logout',
      at: timestamp,
      audit: this.audit.event({
        action: 'admin_logout',
        outcome: 'success',
        client: command.client,
        actorUserId: command.admin.userId,
        subjectUserId: command.userId,
        sessionId: command.admin.sessionId,
        scope: 'global',
        reason: command.reason,
        occurredAt: timestamp,
      }),
    });
    return { timestamp, endedSessionIds };
  }

  /**
   * An admin ends one live session of any user, audited as `admin_session_revoked` with the
   * admin as actor. `false` when there is no such live session.
   */
  async revokeAsAdmin(command: {
    admin: AuthenticatedUser;
    sessionId: string;
    reason: string | null;
    client: ClientContext;
  }): Promise<boolean> {
    const userId = await this.sessions.findLiveOwner(command.sessionId);
    if (!userId) return false;
    const at = this.clock.now();
    const ended = await this.end({
      userId,
      sessionId: command.sessionId,
      selection: 'only',
      reason: 'session_revoked',
      at,
      auditWhen: 'ended',
      audit: this.audit.event({
        action: 'admin_session_revoked',
        outcome: 'success',
        client: command.client,
        actorUserId: command.admin.userId,
        subjectUserId: userId,
        sessionId: command.sessionId,
        reason: command.reason,
        occurredAt: at,
      }),
    });
    return ended.sessionIds.length > 0;
  }

  /**
   * Runs `change` and ends every live session of the user in one transaction, so an account
   * change (a suspension) and the endings it forces commit together; their access tokens are
   * refused once it has committed. `change` may throw to abort both.
   */
  async endAllAlong(
    userId: string,
    ending: { reason: SessionEndReason; at: Date; audit: NewAuditEvent },
    change: (manager: EntityManager) => Promise<void>,
  ): Promise<string[]> {
    const ended = await this.dataSource.transaction(async (manager) => {
      await change(manager);
      return this.sessions.endSessions({ userId, selection: 'all', ...ending }, manager);
    });
    await this.revocation.sessionsEnded(ended);
    return ended.sessionIds;
  }

  /**
   * The emergency brake: ends every live session of every user started before `issuedBefore`,
   * in batches of `REVOKE_ALL_BATCH_SIZE` (one statement each, with one `session_revoked` audit
   * row per session), yielding between batches so the service keeps answering. The operation
   * itself is audited once, as `admin_revoke_all`, before the first batch.
   */
  async revokeAllStartedBefore(command: {
    admin: AuthenticatedUser;
    issuedBefore: Date;
    reason: string;
    client: ClientContext;
  }): Promise<{ timestamp: Date; revokedSessions: number }> {
    const timestamp = this.clock.now();
    const draft = {
      outcome: 'success' as const,
      client: command.client,
      actorUserId: command.admin.userId,
      scope: 'all',
      reason: command.reason,
      occurredAt: timestamp,
    };
    await this.audit.record({ ...draft, action: 'admin_revoke_all', subjectUserId: null });
    const perSession = this.audit.event({ ...draft, action: 'session_revoked' });
    let revokedSessions = 0;
    for (;;) {
      const ended = await this.end({
        selection: 'started-before',
        startedBefore: command.issuedBefore,
        limit: REVOKE_ALL_BATCH_SIZE,
        reason: 'session_revoked',
        at: timestamp,
        audit: perSession,
        auditEach: true,
      });
      revokedSessions += ended.sessionIds.length;
      if (ended.sessionIds.length < REVOKE_ALL_BATCH_SIZE) break;
      await yieldToEventLoop();
    }
    return { timestamp, revokedSessions };
  }

  /** Ends sessions (one statement with its audit event), then makes their access tokens unusable. */
  private async end(command: EndSessionsCommand): Promise<Ending> {
    const ended = await this.sessions.endSessions(command);
    await this.revocation.sessionsEnded(ended);
    return ended;
  }
}
