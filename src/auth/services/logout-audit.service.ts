import { Injectable } from '@nestjs/common';
import { type Request } from 'express';
import { isDependencyUnavailable } from '../../common/errors/dependency-failure';
import { clientContextOf } from '../../common/http/client-context';
import { type AuthenticatedUser } from '../authenticated-user';
import { LOGOUT_SCOPES, type LogoutScope } from '../logout-scope';
import { Metrics } from '../../metrics/metrics';
import { AuditService } from './audit.service';
import { refusalCode } from './refusal-audit.service';

function requestedScope(request: Request): LogoutScope | null {
  const scope = (request.body as { scope?: unknown } | undefined)?.scope;
  return LOGOUT_SCOPES.find((known) => known === scope) ?? null;
}

/**
 * Records refused logout attempts, once each, whichever layer refused them: the guards
 * (401, 429, seen by `LogoutAuditFilter`) or validation and the handler (400, seen by
 * `AuditInterceptor`). Successful logouts are audited by `SessionService` in the same
 * statement as the revocation.
 */
@Injectable()
export class LogoutAuditService {
  private readonly audited = new WeakSet<object>();

  constructor(
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  async recordRefusal(request: Request, error: unknown): Promise<void> {
    if (typeof error === 'object' && error !== null) {
      if (this.audited.has(error)) return;
      this.audited.add(error);
    }
    const user = request.user as AuthenticatedUser | undefined;
    this.metrics.logouts.inc({ scope: requestedScope(request) ?? 'unknown', outcome: 'failure' });
    // The database is what failed: another write would only add a timeout to the 503.
    if (isDependencyUnavailable(error)) return;
    await this.audit.recordRefusal({
      action: 'logout',
      outcome: 'failure',
      client: clientContextOf(request),
      actorUserId: user?.userId,
      sessionId: user?.sessionId,
      scope: requestedScope(request),
      reason: refusalCode(error),
    });
  }
}
