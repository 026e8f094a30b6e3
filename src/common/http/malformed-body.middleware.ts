import { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../errors/domain.error';

/**
 * Nest answers body-parser's `SyntaxError` with the parser's own message, which quotes the
 * start of the body (a password, say). Malformed JSON gets a fixed message instead.
 */
export function malformedBodyMiddleware(
  error: unknown,
  _request: Request,
  _response: Response,
  next: NextFunction,
): void {
  const type =
    typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : null;
  next(
    type === 'entity.parse.failed'
      ? new DomainError('validation_failed', 'Request body is not valid JSON')
      : error,
  );
}
