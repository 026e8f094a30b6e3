import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { type ClientContext } from '../../common/http/client-context';
import { type AuditAction, type AuditOutcome } from '../entities/audit-event.entity';
import {
  AuditEventRepository,
  type NewAuditEvent,
  type AuditEventFilter,
  type PagedAuditEvent,
} from '../repositories/audit-event.repository';

export interface AuditDraft {
  action: AuditAction;
  outcome: AuditOutcome;
  client: ClientContext;
  actorUserId?: string | null;
  subjectUserId?: string | null;
  sessionId?: string | null;
  scope?: string | null;
  reason?: string | null;
  occurredAt?: Date;
}

/** Builds and stores audit events. Never given a token or a password: only ids and stable codes. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly events: AuditEventRepository,
    private readonly clock: Clock,
  ) {}

  /** A page of the audit trail, newest first (see `AuditEventRepository.page`). */
  page(filter: AuditEventFilter): Promise<PagedAuditEvent[]> {
    return this.events.page(filter);
  }

  event(draft: AuditDraft): NewAuditEvent {
    return {
      occurredAt: draft.occurredAt ?? this.clock.now(),
      action: draft.action,
      outcome: draft.outcome,
      actorUserId: draft.actorUserId ?? null,
      subjectUserId: draft.subjectUserId ?? draft.actorUserId ?? null,
      sessionId: draft.sessionId ?? null,
      scope: draft.scope ?? null,
      reason: draft.reason ?? null,
      ipAddress: draft.client.ipAddress,
      userAgent: draft.client.userAgent,
      requestId: draft.client.requestId,
    };
  }

  /** Inside the caller's transaction: the event commits or rolls back with the change it describes. */
  async recordWith(manager: EntityManager, draft: AuditDraft): Promise<void> {
    await this.events.insert(this.event(draft), manager);
  }

  /** An event of its own, not tied to another change (an operation's start, a job's count). */
  async record(draft: AuditDraft): Promise<void> {
    await this.events.insert(this.event(draft));
  }

  /** A refusal, written on its own. Losing it must not turn a 401 into a 500, so failures are logged. */
  async recordRefusal(draft: AuditDraft): Promise<void> {
    try {
      await this.events.insert(this.event(draft));
    } catch (error) {
      this.logger.error(`Could not audit ${draft.action} ${draft.outcome}: ${String(error)}`);
    }
  }
}
