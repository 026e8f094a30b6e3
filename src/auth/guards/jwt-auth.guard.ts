import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';
import { ALLOW_ENDED_SESSION } from '../decorators/allow-ended-session.decorator';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { TokenAuthenticationService } from '../services/token-authentication.service';
import { UserThrottlerGuard } from '../throttling/user-throttler.guard';

/** RFC 6750 §2.1: the scheme, one or more spaces, the token, and nothing after it. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Deny by default: every route needs a valid access token of a live session unless marked
 * `@Public()` (`@AllowEndedSession()` also accepts an ended one). Its only outputs are the
 * verdict and `request.user`. A refusal on a rate-limited route is counted against the
 * client IP before it is thrown, so guessing tokens costs the guesser its budget.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authentication: TokenAuthenticationService,
    private readonly rateLimits: UserThrottlerGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    try {
      const { user } = await this.authentication.authenticate(bearerToken(request), {
        allowEndedSession: this.reflector.getAllAndOverride<boolean>(ALLOW_ENDED_SESSION, targets),
      });
      request.user = user;
      return true;
    } catch (error) {
      if (error instanceof DomainError) await this.rateLimits.countRefusal(context);
      throw error;
    }
  }
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new DomainError('missing_token', 'Authorization: Bearer <access token> is required');
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) {
    throw new DomainError('invalid_token', 'Authorization must be "Bearer <access token>"');
  }
  return token;
}
