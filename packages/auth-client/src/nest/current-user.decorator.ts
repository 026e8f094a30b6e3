import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type AuthenticatedUser } from '../core/access-token.verifier';

/** Where the guard leaves the verified caller on the request. */
export const REQUEST_USER = 'authUser';

export function requestUser(context: ExecutionContext): AuthenticatedUser | undefined {
  return context.switchToHttp().getRequest<Record<string, AuthenticatedUser | undefined>>()[
    REQUEST_USER
  ];
}

/** The verified caller (`userId`, `sessionId`, `roles`, `claims`); undefined on `@Public()` routes. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser | undefined =>
    requestUser(context),
);

/** The session id (`sid`) of the caller's access token. */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    requestUser(context)?.sessionId,
);
