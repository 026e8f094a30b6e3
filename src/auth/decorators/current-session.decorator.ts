import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { type AuthenticatedUser, type SessionBearer } from '../authenticated-user';
import { DomainError } from '../../common/errors/domain.error';

/** The verified bearer, who must hold a session (`sid`): routes acting on "this session". */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SessionBearer => {
    const user = context.switchToHttp().getRequest<FastifyRequest>().user as AuthenticatedUser;
    if (!user.sessionId) {
      throw new DomainError('session_required', 'Access token carries no session (sid)');
    }
    return { ...user, sessionId: user.sessionId };
  },
);
