import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { type Request } from 'express';
import { AppConfig } from '../../config/app-config';
import { ALLOW_ENDED_SESSION } from '../../common/decorators/allow-ended-session.decorator';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { RevocationService } from '../revocation/revocation.service';
import { RATE_LIMITED_ROUTE } from '../throttling/rate-limited.decorator';

declare module 'express-serve-static-core' {
  interface Request {
    /** A refused authentication held back so the route's rate limiter counts the attempt first. */
    deferredAuthFailure?: DomainError;
  }
}

/**
 * Deny by default: every route needs a valid access token unless marked `@Public()`.
 * After the signature, it refuses tokens of ended sessions (the revocation check), except
 * on routes marked `@AllowEndedSession()`.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly revocation: RevocationService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    try {
      await super.canActivate(context);
      await this.refuseEndedSession(context);
      return true;
    } catch (error) {
      if (
        !(error instanceof DomainError) ||
        !this.reflector.getAllAndOverride<boolean>(RATE_LIMITED_ROUTE, targets)
      ) {
        throw error;
      }
      context.switchToHttp().getRequest<Request>().deferredAuthFailure = error;
      return true;
    }
  }

  override handleRequest<TUser = AuthenticatedUser>(
    error: unknown,
    user: TUser | false,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error || !user) {
      const hasCredentials = Boolean(
        context.switchToHttp().getRequest<Request>().headers.authorization,
      );
      throw hasCredentials
        ? new DomainError(
            'invalid_token',
            'Access token is missing, malformed, expired or not signed by this service',
          )
        : new DomainError('missing_token', 'Authorization: Bearer <access token> is required');
    }
    return user;
  }

  private async refuseEndedSession(context: ExecutionContext): Promise<void> {
    const user = context.switchToHttp().getRequest<Request>().user as AuthenticatedUser;
    if (
      this.reflector.getAllAndOverride<boolean>(ALLOW_ENDED_SESSION, [
        context.getHandler(),
        context.getClass(),
      ])
    )
      return;
    if (!user.sessionId) throw new DomainError('invalid_token', 'Access token carries no session');
    if (
      this.config.accessTokenRevocationCheck &&
      (await this.revocation.isSessionEnded(user.sessionId))
    ) {
      throw new DomainError('invalid_token', 'The session of this access token has ended');
    }
  }
}
