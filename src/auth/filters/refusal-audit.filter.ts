import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { AllExceptionsFilter } from '../../common/errors/all-exceptions.filter';
import { type AuditAction } from '../entities/audit-event.entity';
import { RefusalAuditService } from '../services/refusal-audit.service';

/**
 * Audits every refusal of a route, then answers like every other error. A filter (not an
 * interceptor) because it also sees what the guards refuse: a 401 for a bad token, a 429.
 * `@AuditRefusals(action)` makes one subclass per action.
 */
@Catch()
export abstract class RefusalAuditFilter implements ExceptionFilter {
  protected abstract readonly action: AuditAction;
  private readonly responder = new AllExceptionsFilter();

  constructor(@Inject(RefusalAuditService) private readonly refusals: RefusalAuditService) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    await this.refusals.record(
      this.action,
      host.switchToHttp().getRequest<FastifyRequest>(),
      exception,
    );
    this.responder.catch(exception, host);
  }
}
