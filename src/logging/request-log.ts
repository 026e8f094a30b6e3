import { Injectable } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { type Logger } from 'pino';

/** Probes and scrapes would drown the request log. */
const UNLOGGED = /^\/(health|metrics)(?:[/?]|$)/;
const MAX_USER_AGENT = 512;
/** The line's `req` and `res` are already what should be written: not pino-http's raw objects. */
const AS_IS = { req: (value: unknown) => value, res: (value: unknown) => value };

/**
 * One JSON line per request, written by Fastify hooks instead of pino-http middleware: the
 * request id, method, path and route pattern, client IP (as TRUST_PROXY resolves it), user
 * agent, status, duration and, once the token was accepted, the user id. Never a header
 * value, a body or a query string, so no token or password can reach it. Every message
 * logged while a handler runs carries the request id too.
 */
@Injectable()
export class RequestLog {
  private lines?: Logger;

  constructor(private readonly logger: PinoLogger) {}

  /** `preHandler` hook: after the body is read, so its async context reaches the handler. */
  readonly bindRequestId = (
    request: FastifyRequest,
    _reply: FastifyReply,
    done: () => void,
  ): void => {
    this.logger.runInContext(done, { bindings: { requestId: request.id } });
  };

  /** `onResponse` hook: once the response has been sent. */
  readonly logCompleted = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: () => void,
  ): void => {
    // No redaction: the line's fields are fixed above and hold no secret, and redacting
    // (wildcard paths over every line) cost ten times the rest of writing it.
    this.lines ??= PinoLogger.root.child({}, { serializers: AS_IS, redact: [] });
    if (this.lines.isLevelEnabled('info') && !UNLOGGED.test(request.url)) {
      const queryAt = request.url.indexOf('?');
      this.lines.info(
        {
          requestId: request.id,
          req: {
            method: request.method,
            path: queryAt < 0 ? request.url : request.url.slice(0, queryAt),
            route: request.is404 ? undefined : request.routeOptions.url,
            ip: request.ip,
            userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT),
          },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
          userId: request.user?.userId,
        },
        'request completed',
      );
    }
    done();
  };
}
