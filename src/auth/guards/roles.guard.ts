import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request } from 'express';
import { REQUIRED_ROLES } from '../../common/decorators/roles.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';

/** Runs after `JwtAuthGuard`: 403 when the verified token lacks every role the route asks for. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<Request>().user as AuthenticatedUser | undefined;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw new DomainError('forbidden', `This requires the role: ${required.join(' or ')}`);
  }
}
