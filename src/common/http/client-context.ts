import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';

/** Who is calling, as the audit records it. */
export interface ClientContext {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

const MAX_USER_AGENT = 512;

export function clientContextOf(request: FastifyRequest): ClientContext {
  const userAgent = request.headers['user-agent'];
  return {
    // `request.ip` honours TRUST_PROXY through Fastify's `trustProxy` (see `ProxyTrust`).
    ipAddress: request.ip ?? null,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null,
    requestId: request.id ?? null,
  };
}

/** Injects the caller's `ClientContext` into a route handler. */
export const Client = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  clientContextOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
