import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable } from '@nestjs/common';
import { type Request } from 'express';
import { AllExceptionsFilter } from '../../common/errors/all-exceptions.filter';
import { LogoutAuditService } from '../services/logout-audit.service';

/** Audits logout attempts refused by the guards (401, 429), then answers like every other error. */
@Catch()
@Injectable()
export class LogoutAuditFilter implements ExceptionFilter {
  private readonly responder = new AllExceptionsFilter();

  constructor(private readonly logoutAudit: LogoutAuditService) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    await this.logoutAudit.recordRefusal(host.switchToHttp().getRequest<Request>(), exception);
    this.responder.catch(exception, host);
  }
}
