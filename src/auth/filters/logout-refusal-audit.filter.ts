import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { AllExceptionsFilter } from '../../common/errors/all-exceptions.filter';
import { isDependencyUnavailable } from '../../common/errors/dependency-failure';
import { clientContextOf } from '../../common/http/client-context';
import { Metrics } from '../../metrics/metrics';
import { LOGOUT_SCOPES, type LogoutScope } from '../logout-scope';
import { AuditService } from '../services/audit.service';
import { refusalCode } from '../services/refusal-audit.service';

function requestedScope(request: FastifyRequest): LogoutScope | null {
  const scope = (request.body as { scope?: unknown } | undefined)?.scope;
  return LOGOUT_SCOPES.find((known) => known === scope) ?? null;
}

/**
 * The one place a refused logout is audited. As the logout controller's exception filter it
 * sees every refusal once, whichever layer raised it: the guards (401, 429), validation (400)
 * or the handler (a token without `sid`, a database error). Then it answers like every other
 * error. Successful logouts are audited by `SessionService`, in the statement that ends them.
 */
@Catch()
@Injectable()
export class LogoutRefusalAuditFilter implements ExceptionFilter {
  private readonly responder = new AllExceptionsFilter();

  constructor(
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    await this.record(host.switchToHttp().getRequest<FastifyRequest>(), exception);
    this.responder.catch(exception, host);
  }

  private async record(request: FastifyRequest, error: unknown): Promise<void> {
    const user = request.user;
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
