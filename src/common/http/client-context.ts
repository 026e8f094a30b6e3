import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type Request } from 'express';

/** Who is calling, as the audit records it. */
export interface ClientContext {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

const MAX_USER_AGENT = 512;

export function clientContextOf(request: Request): ClientContext {
  const userAgent = request.headers['user-agent'];
  return {
    // `request.ip` honours TRUST_PROXY through Express' `trust proxy` setting.
    ipAddress: request.ip ?? null,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null,
    requestId: request.requestId ?? null,
  };
}

/** Injects the caller's `ClientContext` into a route handler. */
export const Client = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  clientContextOf(context.switchToHttp().getRequest<Request>()),
);
