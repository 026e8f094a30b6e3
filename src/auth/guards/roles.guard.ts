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
    const request = context.switchToHttp().getRequest<Request>();
    // On a rate-limited route the JWT guard defers its refusal (and may have set `user` from a
    // token of an ended session): it stays the 401 it is, never a 403, and never a pass.
    if (request.deferredAuthFailure) throw request.deferredAuthFailure;
    const user = request.user as AuthenticatedUser | undefined;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw new DomainError('forbidden', `This requires the role: ${required.join(' or ')}`);
  }
}
