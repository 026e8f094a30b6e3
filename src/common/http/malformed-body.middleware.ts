import { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../errors/domain.error';

/** body-parser's error `type` for a body whose bytes are not the UTF-8 they claim to be. */
export const INVALID_UTF8_BODY = 'entity.encoding.invalid';

/**
 * Nest answers body-parser's `SyntaxError` with the parser's own message, which quotes the
 * start of the body (a password, say). Malformed JSON gets a fixed message instead, and so
 * does a body refused for invalid UTF-8 (which body-parser would otherwise answer with 403).
 */
export function malformedBodyMiddleware(
  error: unknown,
  _request: Request,
  _response: Response,
  next: NextFunction,
): void {
  const type =
    typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : null;
  if (type === 'entity.parse.failed')
    return next(new DomainError('validation_failed', 'Request body is not valid JSON'));
  if (type === INVALID_UTF8_BODY)
    return next(new DomainError('validation_failed', 'Request body is not valid UTF-8'));
  next(error);
}
