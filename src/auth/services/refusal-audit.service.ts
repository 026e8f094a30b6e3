import { HttpException, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain.error';
import { clientContextOf } from '../../common/http/client-context';
import { type AuditAction } from '../entities/audit-event.entity';
import { AuditService } from './audit.service';

/** The stable code an audit event gives as the reason of a refusal; never the message. */
export function refusalCode(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  if (error instanceof HttpException)
    return error.getStatus() === 400 ? 'validation_failed' : `http_${error.getStatus()}`;
  return 'internal_error';
}

function statusOf(error: unknown): number {
  if (error instanceof DomainError) return error.status;
  if (error instanceof HttpException) return error.getStatus();
  return 500;
}

/**
 * Records a refused credential or token operation (400, 401, 403, 404, 409, 429), whichever
 * layer refused it: a guard, validation or the service. Failures of the service itself (5xx)
 * are not refusals: they are logged, and a database that is down could not take the write.
 */
@Injectable()
export class RefusalAuditService {
  constructor(private readonly audit: AuditService) {}

  async record(action: AuditAction, request: FastifyRequest, error: unknown): Promise<void> {
    const status = statusOf(error);
    if (status < 400 || status >= 500) return;
    const bearer = request.user;
    const subject = error instanceof DomainError ? error.subject : {};
    await this.audit.recordRefusal({
      action,
      outcome: 'failure',
      client: clientContextOf(request),
      actorUserId: subject.userId ?? bearer?.userId,
      sessionId: subject.sessionId ?? bearer?.sessionId,
      reason: refusalCode(error),
    });
  }
}
