import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEvent } from '../entities/audit-event.entity';

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

/** An event of a page, with its exact keyset position (microseconds, which `Date` cannot hold). */
export type PagedAuditEvent = AuditEvent & { position: { occurredAt: string; id: string } };

export interface AuditEventFilter {
  userId?: string;
  action?: string;
  outcome?: string;
  ipAddress?: string;
  requestId?: string;
  from?: Date;
  to?: Date;
  /** Keyset position: only events strictly older than this (time, id) pair, as `position` gave it. */
  before?: { occurredAt: string; id: string };
  limit: number;
}

export interface AuditCounts {
  logoutSuccesses: number;
  logoutFailures: number;
  rateLimited: number;
  reuseDetections: number;
}

const COLUMNS = `id, occurred_at AS "occurredAt", action, outcome, actor_user_id AS "actorUserId",
  subject_user_id AS "subjectUserId", session_id AS "sessionId", scope, reason,
  ip_address AS "ipAddress", user_agent AS "userAgent", request_id AS "requestId",
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "exactTime"`;

@Injectable()
export class AuditEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    event: NewAuditEvent,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.getRepository(AuditEvent).insert(event);
  }

  /**
   * Newest first, keyset-paginated on (occurred_at, id): stable under concurrent inserts and
   * never an offset scan. A user filter is two index range scans (as actor, as subject)
   * merged, so each side walks `audit_events_{actor,subject}_time_idx` in order.
   */
  async page(filter: AuditEventFilter): Promise<PagedAuditEvent[]> {
    const params: unknown[] = [];
    const bind = (value: unknown): string => `$${params.push(value)}`;
    const conditions: string[] = [];
    if (filter.action !== undefined) conditions.push(`action = ${bind(filter.action)}`);
    if (filter.outcome !== undefined) conditions.push(`outcome = ${bind(filter.outcome)}`);
    if (filter.ipAddress !== undefined) conditions.push(`ip_address = ${bind(filter.ipAddress)}`);
    if (filter.requestId !== undefined) conditions.push(`request_id = ${bind(filter.requestId)}`);
    if (filter.from) conditions.push(`occurred_at >= ${bind(filter.from)}`);
    if (filter.to) conditions.push(`occurred_at <= ${bind(filter.to)}`);
    if (filter.before) {
      conditions.push(
        `(occurred_at, id) < (${bind(filter.before.occurredAt)}::timestamptz, ${bind(filter.before.id)}::uuid)`,
      );
    }
    const limit = bind(filter.limit);
    const order = `ORDER BY occurred_at DESC, id DESC LIMIT ${limit}`;
    const where = (extra?: string) => {
      const all = extra ? [extra, ...conditions] : conditions;
      return all.length ? `WHERE ${all.join(' AND ')}` : '';
    };

    let sql: string;
    if (filter.userId !== undefined) {
      const user = bind(filter.userId);
      sql = `SELECT ${COLUMNS} FROM (
          (SELECT * FROM audit_events ${where(`actor_user_id = ${user}`)} ${order})
          UNION
          (SELECT * FROM audit_events ${where(`subject_user_id = ${user}`)} ${order})
        ) events ${order}`;
    } else {
      sql = `SELECT ${COLUMNS} FROM audit_events ${where()} ${order}`;
    }
    const rows = await this.dataSource.query<(AuditEvent & { exactTime: string })[]>(sql, params);
    return rows.map(({ exactTime, ...event }) => ({
      ...event,
      position: { occurredAt: exactTime, id: event.id },
    }));
  }

  /** What the admin console's status strip shows, counted over the events since `since`. */
  async countsSince(since: Date): Promise<AuditCounts> {
    const rows: AuditCounts[] = await this.dataSource.query(
      `SELECT
         count(*) FILTER (WHERE action IN ('logout', 'admin_logout') AND outcome = 'success')::int
           AS "logoutSuccesses",
         count(*) FILTER (WHERE action IN ('logout', 'admin_logout') AND outcome = 'failure')::int
           AS "logoutFailures",
         count(*) FILTER (WHERE reason = 'rate_limited')::int AS "rateLimited",
         count(*) FILTER (WHERE action = 'refresh_token_reused')::int AS "reuseDetections"
       FROM audit_events WHERE occurred_at >= $1`,
      [since],
    );
    return rows[0];
  }

  /**
   * Deletes up to `limit` events older than `before`, oldest first. `SKIP LOCKED` lets several
   * instances purge at once, each taking rows the others are not deleting. Returns how many.
   */
  async deleteOlderThan(before: Date, limit: number): Promise<number> {
    const rows: { removed: number }[] = await this.dataSource.query(
      `WITH doomed AS (
         SELECT id FROM audit_events WHERE occurred_at < $1
         ORDER BY occurred_at LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), gone AS (
         DELETE FROM audit_events a USING doomed WHERE a.id = doomed.id RETURNING 1
       )
       SELECT count(*)::int AS removed FROM gone`,
      [before, limit],
    );
    return rows[0].removed;
  }
}
