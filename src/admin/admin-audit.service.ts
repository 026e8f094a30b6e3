import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { DomainError } from '../common/errors/domain.error';
import { type AuditEvent } from '../auth/entities/audit-event.entity';
import {
  type AuditEventFilter,
  type PagedAuditEvent,
} from '../auth/repositories/audit-event.repository';
import { AuditTrailService } from '../auth/services/audit-trail.service';
import { exportHeader, exportLine } from './audit-export.format';
import { AuditCursorCodec } from './audit-cursor';
import { type AuditEventsQuery, type AuditFilterQuery } from './dto/audit-events.query';
import { type ExportFormat } from './dto/audit-export.query';

export type AuditEventView = Omit<AuditEvent, 'occurredAt'> & { occurredAt: string };

export interface AdminStats {
  since: string;
  logouts: { success: number; failure: number };
  rateLimited: number;
  reuseDetections: number;
}

export interface AuditExport {
  stream: Readable;
  fileName: string;
}

const DEFAULT_PAGE = 50;
const STATS_WINDOW_MS = 24 * 60 * 60_000;

const toView = ({ position: _position, ...event }: PagedAuditEvent): AuditEventView => ({
  ...event,
  occurredAt: event.occurredAt.toISOString(),
});

/** The audit trail for admins: pages, the streamed export, the status strip's counts. */
@Injectable()
export class AdminAuditService {
  constructor(
    private readonly clock: Clock,
    private readonly trail: AuditTrailService,
  ) {}

  async page(
    query: AuditEventsQuery,
  ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    // One extra row tells whether another page exists without a count query.
    const rows = await this.trail.page({
      ...this.filterOf(query),
      before: query.cursor ? AuditCursorCodec.decode(query.cursor) : undefined,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toView),
      nextCursor: rows.length > limit && last ? AuditCursorCodec.encode(last.position) : null,
    };
  }

  /**
   * The filtered trail as a pull stream: a batch is read only when the client has taken the
   * previous one, so memory stays one batch however large the trail and however slow the reader.
   */
  export(query: AuditFilterQuery, format: ExportFormat): AuditExport {
    const filter = this.filterOf(query);
    const trail = this.trail;
    async function* lines(): AsyncGenerator<string> {
      yield exportHeader(format);
      for await (const batch of trail.all(filter)) {
        yield batch.map((event) => exportLine(format, toView(event))).join('');
      }
    }
    const stamp = this.clock.now().toISOString().replace(/[:.]/g, '-');
    return {
      stream: Readable.from(lines(), { objectMode: false }),
      fileName: `audit-events-${stamp}.${format}`,
    };
  }

  async stats(): Promise<AdminStats> {
    const since = new Date(this.clock.now().getTime() - STATS_WINDOW_MS);
    const counts = await this.trail.countsSince(since);
    return {
      since: since.toISOString(),
      logouts: { success: counts.logoutSuccesses, failure: counts.logoutFailures },
      rateLimited: counts.rateLimited,
      reuseDetections: counts.reuseDetections,
    };
  }

  private filterOf(query: AuditFilterQuery): Omit<AuditEventFilter, 'before' | 'limit'> {
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from > to) {
      throw new DomainError('validation_failed', 'from must not be after to');
    }
    return {
      userId: query.userId,
      action: query.action,
      outcome: query.outcome,
      ipAddress: query.ipAddress,
      requestId: query.requestId,
      from,
      to,
    };
  }
}
