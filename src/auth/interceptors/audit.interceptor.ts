import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { type Request } from 'express';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { LogoutAuditService } from '../services/logout-audit.service';

/**
 * Audits every logout attempt that gets past the guards and then fails (validation, a
 * token without `sid`, a database error). Guard refusals never reach an interceptor: the
 * controller's `LogoutAuditFilter` records those.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly logoutAudit: LogoutAuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          from(this.logoutAudit.recordRefusal(request, error)).pipe(
            mergeMap(() => throwError(() => error)),
          ),
        ),
      );
  }
}
