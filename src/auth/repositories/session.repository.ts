import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PREPARED } from '../../database/pg-driver';
import {
  DELIVERIES_TO_WAKE_SQL,
  type DeliveriesToWake,
  describeEnding,
  sessionRevokedOutboxSql,
} from '../../security-events/security-event-outbox.sql';
import { type NewAuditEvent } from './audit-event.repository';
import { Session, type SessionEndReason } from '../entities/session.entity';

/**
 * Which live sessions to end: a user's, relative to the session `sessionId`, or (`started-before`)
 * the oldest `limit` sessions of any user started before `startedBefore`, one batch of a sweep.
 */
export type SessionSelection = 'all' | 'only' | 'all-but' | 'started-before';

export interface EndSessionsCommand {
  /** Required unless the selection is `started-before`. */
  userId?: string;
  sessionId?: string;
  selection: SessionSelection;
  /** For `started-before`: the instant and the batch size. */
  startedBefore?: Date;
  limit?: number;
  reason: SessionEndReason;
  at: Date;
  /**
   * When set, nothing is ended unless `sessionId` is a live session of `userId` (idempotent
   * logout), and nothing at all is written unless it is one of the user's sessions, live or
   * ended (`Ending.sessionKnown`): the statement is the session check, no lookup before it.
   */
  requireLiveSession?: boolean;
  /** Written by the same statement, so the revocation and its audit event commit together. */
  audit?: NewAuditEvent;
  /** `ended`: write the audit event only if a session was ended (default: always). */
  auditWhen?: 'always' | 'ended';
  /** One audit row per ended session (its user as subject, its id as session) instead of one row. */
  auditEach?: boolean;
  /** A password change: the same statement also records the user's `credential-change` event. */
  credentialChange?: boolean;
}

/** What an ending statement did (committed, or will with the caller's transaction). */
export interface Ending {
  sessionIds: string[];
  /** The security-event deliveries it queued, which its commit must wake. */
  deliveriesToWake: DeliveriesToWake;
  /** With `requireLiveSession`: `sessionId` is one of the user's sessions (else nothing was written). */
  sessionKnown: boolean;
}

@Injectable()
export class SessionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    session: Pick<
      Session,
      'userId' | 'createdAt' | 'lastActiveAt' | 'expiresAt' | 'authTime' | 'ipAddress' | 'userAgent'
    >,
  ): Promise<Session> {
    const repository = manager.getRepository(Session);
    return repository.save(
      repository.create({ ...session, reauthenticatedAt: null, endedAt: null, endReason: null }),
    );
  }

  /** Locks the session row: refresh, logout and reauthentication serialise on it. */
  lockById(manager: EntityManager, id: string): Promise<Session | null> {
    return manager
      .getRepository(Session)
      .createQueryBuilder('session')
      .setLock('pessimistic_write')
      .where('session.id = :id', { id })
      .getOne();
  }

  async touch(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.getRepository(Session).update({ id }, { lastActiveAt: at });
  }

  /**
   * Ends the selected live sessions of a user, revokes their refresh tokens and clears their
   * state (reauthentication included) in ONE statement, whatever the number of sessions; the
   * optional audit event is inserted by the same statement, and so is one security event per
   * ended session (with its deliveries to the receivers, issue 10).
   */
  async endSessions(
    command: EndSessionsCommand,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Ending> {
    const { userId, sessionId, selection, reason, at, audit } = command;
    const params: unknown[] = [];
    const bind = (value: unknown): string => `$${params.push(value)}`;

    // On the row being ended (`sessions`); `seen` below is that row as the snapshot saw it.
    const filters = ['sessions.ended_at IS NULL'];
    if (selection === 'started-before') {
      if (!command.startedBefore || !command.limit)
        throw new Error('endSessions: "started-before" needs startedBefore and limit');
      // Oldest first through `sessions_live_created_idx`; each batch is the next slice.
      filters.push(
        `sessions.id IN (SELECT id FROM sessions WHERE ended_at IS NULL AND created_at < ${bind(command.startedBefore)}
                ORDER BY created_at, id LIMIT ${bind(command.limit)})`,
      );
    } else {
      if (!userId) throw new Error(`endSessions: selection "${selection}" needs a user id`);
      filters.unshift(`sessions.user_id = ${bind(userId)}`);
      // The snapshot's rows through the same partial index (the planner carries the user id
      // over), not a scan of every session: the cost follows the sessions ended, not the table.
      filters.push('seen.user_id = sessions.user_id', 'seen.ended_at IS NULL');
    }
    // The user's own session named by the token: `known` whatever its state.
    let knownSession = 'true';
    if (selection === 'only' || selection === 'all-but' || command.requireLiveSession) {
      if (!sessionId) throw new Error(`endSessions: selection "${selection}" needs a session id`);
      const session = bind(sessionId);
      if (selection === 'only') filters.push(`sessions.id = ${session}`);
      if (selection === 'all-but') filters.push(`sessions.id <> ${session}`);
      if (command.requireLiveSession) {
        knownSession = `EXISTS (SELECT 1 FROM sessions known WHERE known.id = ${session}
          AND known.user_id = ${bind(userId)}::uuid)`;
        // For `only`, `id = … AND user_id = … AND ended_at IS NULL` already requires it live.
        if (selection !== 'only') {
          filters.push(
            `EXISTS (SELECT 1 FROM sessions live WHERE live.id = ${session}
               AND live.user_id = sessions.user_id AND live.ended_at IS NULL)`,
          );
        }
      }
    }
    const endedAt = bind(at);
    const auditInsert = audit
      ? `, audit AS (
          INSERT INTO audit_events (occurred_at, action, outcome, actor_user_id, subject_user_id,
            session_id, scope, reason, ip_address, user_agent, request_id)
          SELECT ${(
            [
              [audit.occurredAt, 'timestamptz'],
              [audit.action, 'text'],
              [audit.outcome, 'text'],
              [audit.actorUserId, 'uuid'],
              command.auditEach ? 'ended.user_id' : [audit.subjectUserId, 'uuid'],
              command.auditEach ? 'ended.id' : [audit.sessionId, 'uuid'],
              [audit.scope, 'text'],
              [audit.reason, 'text'],
              [audit.ipAddress, 'text'],
              [audit.userAgent, 'text'],
              [audit.requestId, 'text'],
            ] as const
          )
            .map((column) =>
              typeof column === 'string' ? column : `${bind(column[0])}::${column[1]}`,
            )
            .join(', ')}
          ${command.auditEach ? 'FROM ended' : ''}
          ${
            command.auditWhen === 'ended' && !command.auditEach
              ? 'WHERE EXISTS (SELECT 1 FROM ended)'
              : command.requireLiveSession && !command.auditEach
                ? `WHERE ${knownSession}`
                : ''
          }
        )`
      : '';
    const description = describeEnding(
      reason,
      audit?.actorUserId ? audit.actorUserId === userId : null,
    );
    const requestId = `${bind(audit?.requestId ?? null)}::text`;
    const outbox = sessionRevokedOutboxSql(
      'ended',
      {
        occurredAt: `${endedAt}::timestamptz`,
        userId: 'ended.user_id',
        sessionId: 'ended.id',
        initiatingEntity: `${bind(description.initiatingEntity)}::text`,
        reason: `${bind(description.reason)}::text`,
        requestId,
      },
      command.credentialChange
        ? { occurredAt: `${endedAt}::timestamptz`, userId: `${bind(userId)}::uuid`, requestId }
        : undefined,
    );
    // `seen` is each row as the statement's snapshot read it; `sessions` is the row as updated, after
    // waiting for any refresh that held it (READ COMMITTED re-reads only the target row). A
    // refresh that committed in between moved `last_active_at` and inserted a refresh token
    // this statement cannot see. Joined on the primary key row by row, so the cost is linear
    // in the sessions ended (a join of two CTEs was a nested loop: quadratic).
    // One row whatever the number of sessions (an aggregate without GROUP BY).
    const [row]: { ids: string[]; raced: string[]; wake: DeliveriesToWake; known: boolean }[] =
      await manager.query(
        `${PREPARED}WITH ended AS (
         UPDATE sessions SET ended_at = ${endedAt}, end_reason = ${bind(reason)}, reauthenticated_at = NULL
         FROM sessions seen
         WHERE seen.id = sessions.id AND ${filters.join(' AND ')}
         RETURNING sessions.id, sessions.user_id,
           sessions.last_active_at IS DISTINCT FROM seen.last_active_at AS raced
       ), revoked AS (
         UPDATE refresh_tokens SET revoked_at = ${endedAt}
         WHERE session_id IN (SELECT id FROM ended) AND revoked_at IS NULL
       )${auditInsert}${outbox}
       SELECT coalesce(array_agg(id), '{}')::text[] AS ids,
         coalesce(array_agg(id) FILTER (WHERE raced), '{}')::text[] AS raced,
         ${DELIVERIES_TO_WAKE_SQL} AS wake,
         ${knownSession} AS known
       FROM ended`,
        params,
      );
    if (row.raced.length > 0) await this.revokeTokensOf(manager, row.raced, at);
    return { sessionIds: row.ids, deliveriesToWake: row.wake, sessionKnown: row.known };
  }

  /**
   * Stamps the tokens a racing refresh committed while a logout waited for its lock. Those
   * sessions are already ended (so the tokens were refused anyway); this keeps the rows honest.
   */
  private async revokeTokensOf(
    manager: EntityManager,
    sessionIds: string[],
    at: Date,
  ): Promise<void> {
    await manager.query(
      'UPDATE refresh_tokens SET revoked_at = $1 WHERE session_id = ANY($2::uuid[]) AND revoked_at IS NULL',
      [at, sessionIds],
    );
  }

  /**
   * Ends up to `batchSize` sessions past their absolute expiry or idle deadline, with a
   * `session_expired` audit event each. `SKIP LOCKED` lets several instances sweep at once
   * without waiting on each other or on a refresh holding a row. Refresh tokens are revoked,
   * not deleted: a late replay of a retired token is still recognised.
   */
  async endExpiredBatch(now: Date, idleBefore: Date, batchSize: number): Promise<Ending> {
    const expired = describeEnding('expired', null);
    const idle = describeEnding('idle', null);
    const [row]: { ids: string[]; wake: DeliveriesToWake }[] = await this.dataSource.query(
      `WITH due AS (
         SELECT id FROM sessions
         WHERE ended_at IS NULL AND (expires_at <= $1 OR last_active_at <= $2)
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ), ended AS (
         UPDATE sessions s
         SET ended_at = $1, reauthenticated_at = NULL,
             end_reason = CASE WHEN s.expires_at <= $1 THEN 'expired' ELSE 'idle' END
         FROM due WHERE s.id = due.id
         RETURNING s.id, s.user_id, s.end_reason
       ), revoked AS (
         UPDATE refresh_tokens SET revoked_at = $1
         WHERE session_id IN (SELECT id FROM ended) AND revoked_at IS NULL
       ), audit AS (
         INSERT INTO audit_events (occurred_at, action, outcome, actor_user_id, subject_user_id, session_id, reason)
         SELECT $1, 'session_expired', 'success', NULL, user_id, id, end_reason FROM ended
       )${sessionRevokedOutboxSql('ended', {
         occurredAt: '$1::timestamptz',
         userId: 'ended.user_id',
         sessionId: 'ended.id',
         initiatingEntity: `'${expired.initiatingEntity}'`,
         reason: `CASE ended.end_reason WHEN 'expired' THEN $4 ELSE $5 END`,
         requestId: 'NULL::text',
       })}
       SELECT coalesce(array_agg(id), '{}')::text[] AS ids,
         ${DELIVERIES_TO_WAKE_SQL} AS wake
       FROM ended`,
      [now, idleBefore, batchSize, expired.reason, idle.reason],
    );
    return { sessionIds: row.ids, deliveriesToWake: row.wake, sessionKnown: true };
  }

  /** A user's sessions that are live and not past their deadlines, newest first. */
  listActive(userId: string, now: Date, idleBefore: Date): Promise<Session[]> {
    return this.dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .where('session.user_id = :userId AND session.ended_at IS NULL', { userId })
      .andWhere('session.expires_at > :now AND session.last_active_at > :idleBefore', {
        now,
        idleBefore,
      })
      .orderBy('session.created_at', 'DESC')
      .getMany();
  }

  async markReauthenticated(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.getRepository(Session).update({ id }, { reauthenticatedAt: at });
  }

  /** The user a live session belongs to; `null` when there is no such live session. */
  async findLiveOwner(id: string): Promise<string | null> {
    const rows: { userId: string }[] = await this.dataSource.query(
      'SELECT user_id AS "userId" FROM sessions WHERE id = $1 AND ended_at IS NULL',
      [id],
    );
    return rows[0]?.userId ?? null;
  }

  /** Ids of sessions that ended after `since`: the revocation store is refilled from these. */
  async findIdsEndedSince(since: Date): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM sessions WHERE ended_at > $1',
      [since],
    );
    return rows.map((row) => row.id);
  }

  /** The session as stored, with its user's roles: one round trip for the access-token check. */
  async findState(
    id: string,
  ): Promise<{ userId: string; ended: boolean; roles: string[] } | undefined> {
    const rows: { user_id: string; ended: boolean; roles: string[] }[] =
      await this.dataSource.query(
        `SELECT s.user_id, s.ended_at IS NOT NULL AS ended, u.roles
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
        [id],
      );
    const [row] = rows;
    return row && { userId: row.user_id, ended: row.ended, roles: row.roles };
  }

  /** Whether the session has ended (or never existed): the revocation check's fallback. */
  async isEnded(id: string): Promise<boolean> {
    const rows: { ended: boolean }[] = await this.dataSource.query(
      'SELECT ended_at IS NOT NULL AS ended FROM sessions WHERE id = $1',
      [id],
    );
    return rows.length === 0 || rows[0].ended;
  }
}
