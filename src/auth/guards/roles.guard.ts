import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';
import { REQUIRED_ROLES } from '../decorators/roles.decorator';
import { DomainError } from '../../common/errors/domain.error';

/**
 * 403 when the authenticated user lacks every role the route asks for. The roles are the
 * user's as stored (see `TokenAuthenticationService`), not the token's. Without an
 * authenticated user it refuses with 401, so it fails closed whatever order guards run in.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<FastifyRequest>().user;
    if (!user) throw new DomainError('missing_token', 'This requires an authenticated user');
    if (required.some((role) => user.roles.includes(role))) return true;
    throw new DomainError('forbidden', `This requires the role: ${required.join(' or ')}`);
  }
}
