import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEvent } from '../entities/audit-event.entity';

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

/** An event of a page, with its exact keyset position (microseconds, which `Date` cannot hold). */
export type PagedAuditEvent = AuditEvent & { position: { occurredAt: string; id: string } };

export interface AuditEventFilter {
  userId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Keyset position: only events strictly older than this (time, id) pair, as `position` gave it. */
  before?: { occurredAt: string; id: string };
  limit: number;
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
}
