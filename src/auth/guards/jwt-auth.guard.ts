import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request, type Response } from 'express';
import passport from 'passport';
import { AppConfig } from '../../config/app-config';
import { ALLOW_ENDED_SESSION } from '../../common/decorators/allow-ended-session.decorator';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { RevocationService } from '../revocation/revocation.service';
import { JwtStrategy } from '../strategies/jwt.strategy';
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
 *
 * It runs this app's own `JwtStrategy` instance rather than a strategy looked up by name in
 * passport's process-wide registry, so several app instances in one process (tests, tools)
 * never verify with each other's keys or settings.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly revocation: RevocationService,
    private readonly config: AppConfig,
    private readonly strategy: JwtStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    try {
      const request = context.switchToHttp().getRequest<Request>();
      request.user = await this.authenticate(
        request,
        context.switchToHttp().getResponse<Response>(),
      );
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

  /** Runs passport-jwt on a per-request copy of the strategy (passport stores callbacks on it). */
  private authenticate(request: Request, response: Response): Promise<AuthenticatedUser> {
    return new Promise((resolve, reject) => {
      const refuse = () =>
        reject(
          request.headers.authorization
            ? new DomainError(
                'invalid_token',
                'Access token is missing, malformed, expired or not signed by this service',
              )
            : new DomainError('missing_token', 'Authorization: Bearer <access token> is required'),
        );
      const strategy = Object.create(this.strategy) as JwtStrategy;
      const middleware = passport.authenticate(
        strategy,
        { session: false },
        (error: unknown, user: AuthenticatedUser | false) =>
          error || !user ? refuse() : resolve(user),
      ) as (request: Request, response: Response, next: (error?: unknown) => void) => void;
      middleware(request, response, refuse);
    });
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
