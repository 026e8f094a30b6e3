import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthClient } from '../core/auth-client';
import { AuthClientError } from '../core/auth-client.error';
import { IS_PUBLIC } from './auth-client.constants';
import { REQUEST_USER } from './current-user.decorator';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  [REQUEST_USER]?: unknown;
}

/** Express `res.header` and Fastify `reply.header` share this shape. */
interface HttpResponse {
  header(name: string, value: string): unknown;
}

/**
 * The global guard: every route needs a live access token unless it is `@Public()`.
 * 401 (RFC 6750 `WWW-Authenticate`) for a refused token or an ended session, 503 when the
 * stream is stale and the auth service cannot be asked (fail closed).
 */
@Injectable()
export class AuthClientGuard implements CanActivate {
  constructor(
    private readonly client: AuthClient,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const header = request.headers.authorization;
    try {
      request[REQUEST_USER] = await this.client.authenticate(
        Array.isArray(header) ? undefined : header,
      );
      return true;
    } catch (error) {
      if (!(error instanceof AuthClientError)) throw error;
      const response = http.getResponse<HttpResponse>();
      if (error.code === 'verification_unavailable') {
        throw new HttpException(
          body(HttpStatus.SERVICE_UNAVAILABLE, 'Service Unavailable', error),
          HttpStatus.SERVICE_UNAVAILABLE,
        );
      }
      response.header(
        'WWW-Authenticate',
        header === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
      );
      throw new HttpException(
        body(HttpStatus.UNAUTHORIZED, 'Unauthorized', error),
        HttpStatus.UNAUTHORIZED,
      );
    }
  }
}

function body(statusCode: number, reason: string, error: AuthClientError) {
  return { statusCode, error: reason, message: error.message, code: error.code };
}
