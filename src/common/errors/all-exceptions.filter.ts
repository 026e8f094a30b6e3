import { STATUS_CODES } from 'node:http';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { type FastifyRequest, type FastifyReply } from 'fastify';
import { isDependencyUnavailable } from './dependency-failure';
import { DomainError } from './domain.error';
import { type ErrorCode, OAUTH_ERROR_CODES } from './error-code';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
}

export interface OAuthErrorBody extends ErrorBody {
  error_description: string;
}

interface Mapped {
  status: number;
  code: string;
  message: string;
  headers: Readonly<Record<string, string>>;
}

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'invalid_token',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/**
 * Errors Fastify raises while reading a body (too large, a bad Content-Length, a corrupt
 * compressed stream) carry a 4xx `statusCode` instead of being HttpExceptions.
 */
function isBodyReadError(error: unknown): error is { statusCode: number; code?: unknown } {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * @nestjs/terminus answers a failed readiness check with `{ status: 'error', error: { name: {...} } }`.
 * Only the names of the failed checks reach the caller; whatever detail an indicator attached
 * (a driver's error text) is for the log.
 */
function failedHealthChecks(response: object): string | undefined {
  const { status, error } = response as { status?: unknown; error?: unknown };
  if (status !== 'error' || typeof error !== 'object' || error === null) return undefined;
  return `Not ready: ${Object.keys(error).join(', ')} down`;
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const health = failedHealthChecks(response);
  if (health) return health;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * The single place where failures become HTTP responses: the contract's body
 * `{ statusCode, error, message }` (plus a stable `code`), never a stack trace or SQL.
 * Unexpected errors are logged with their cause and answered with a plain 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const response = http.getResponse<FastifyReply>();
    const mapped = this.map(exception);

    if (response.sent || response.raw.headersSent) {
      response.raw.end();
      return;
    }
    for (const [name, value] of Object.entries(mapped.headers)) response.header(name, value);
    if (mapped.status === 503 && !response.hasHeader('Retry-After')) {
      response.header('Retry-After', '5');
    }
    if (mapped.status === 401 && !response.hasHeader('WWW-Authenticate')) {
      // RFC 6750: `invalid_token` only when a presented token was refused; a bare challenge
      // when there was none, or when something else (a wrong password) was refused.
      response.header(
        'WWW-Authenticate',
        mapped.code === 'invalid_token' && request.headers.authorization
          ? 'Bearer error="invalid_token"'
          : 'Bearer',
      );
    }
    void response
      .status(mapped.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(this.body(mapped, request)));
  }

  /**
   * The contract's body everywhere. On the OAuth endpoints `error` carries the RFC 6749 code
   * (with `error_description`), because standard OAuth clients read exactly that field.
   */
  private body(mapped: Mapped, request: FastifyRequest): ErrorBody | OAuthErrorBody {
    const base = {
      statusCode: mapped.status,
      error: STATUS_CODES[mapped.status] ?? 'Error',
      message: mapped.message,
      code: mapped.code,
    };
    if (!request.url.startsWith('/oauth/')) return base;
    const oauthCode = OAUTH_ERROR_CODES.has(mapped.code)
      ? mapped.code
      : mapped.status === 400
        ? 'invalid_request'
        : mapped.code;
    return { ...base, error: oauthCode, error_description: mapped.message };
  }

  private map(exception: unknown): Mapped {
    if (exception instanceof DomainError) {
      return {
        status: exception.status,
        code: exception.code,
        message: exception.message,
        headers: exception.headers,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return {
        status,
        code: CODE_BY_STATUS[status] ?? 'http_error',
        message: httpExceptionMessage(exception),
        headers: {},
      };
    }
    if (isBodyReadError(exception)) return this.mapBodyReadError(exception);
    if (isDependencyUnavailable(exception)) {
      this.logger.warn(
        `Dependency unavailable: ${exception instanceof Error ? exception.message : String(exception)}`,
      );
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        code: 'service_unavailable',
        message: 'The service is temporarily unavailable; retry after the time in Retry-After',
        headers: { 'Retry-After': '5' },
      };
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : exception,
    );
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal_error',
      message: 'Internal server error',
      headers: {},
    };
  }

  private mapBodyReadError(error: { statusCode: number; code?: unknown }): Mapped {
    if (error.statusCode === 413) {
      return {
        status: 413,
        code: 'payload_too_large',
        message: 'Request body exceeds 100 KiB',
        headers: {},
      };
    }
    return {
      status: error.statusCode,
      code: CODE_BY_STATUS[error.statusCode] ?? 'http_error',
      message:
        error.statusCode === 415 ? 'Unsupported body encoding' : 'Request body could not be read',
      headers: {},
    };
  }
}
