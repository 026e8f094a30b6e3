import { Injectable } from '@nestjs/common';
import {
  type AuditCounts,
  type AuditEventFilter,
  AuditEventRepository,
  type PagedAuditEvent,
} from '../repositories/audit-event.repository';

/** Rows per statement when the whole filtered trail is read (an export). */
const EXPORT_BATCH_SIZE = 1_000;

/** Reading the audit trail: keyset pages, the whole filtered trail in batches, counts. */
@Injectable()
export class AuditTrailService {
  constructor(private readonly events: AuditEventRepository) {}

  page(filter: AuditEventFilter): Promise<PagedAuditEvent[]> {
    return this.events.page(filter);
  }

  /**
   * Every event the filter selects, newest first, one keyset batch at a time: memory stays one
   * batch whatever the trail's size, and each batch is a short indexed read, not a long
   * transaction holding a snapshot.
   */
  async *all(
    filter: Omit<AuditEventFilter, 'before' | 'limit'>,
  ): AsyncGenerator<PagedAuditEvent[]> {
    let before: AuditEventFilter['before'];
    for (;;) {
      const batch = await this.events.page({ ...filter, before, limit: EXPORT_BATCH_SIZE });
      if (batch.length > 0) yield batch;
      if (batch.length < EXPORT_BATCH_SIZE) return;
      before = batch[batch.length - 1].position;
    }
  }

  countsSince(since: Date): Promise<AuditCounts> {
    return this.events.countsSince(since);
  }
}
