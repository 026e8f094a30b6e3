import { isUtf8 } from 'node:buffer';
import { type IncomingMessage } from 'node:http';
import { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../errors/domain.error';

/** body-parser's error `type` for a body whose bytes are not the UTF-8 they claim to be. */
export const INVALID_UTF8_BODY = 'entity.encoding.invalid';

/**
 * body-parser's `verify` hook: refuses a body that is not valid UTF-8 (RFC 8259 requires it
 * of JSON) instead of letting the decoder replace bad bytes with U+FFFD, which would store a
 * password or an email other than the one the client sent.
 */
export function verifyUtf8Body(
  _request: IncomingMessage,
  _response: unknown,
  body: Buffer,
  encoding: string,
): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) {
    throw Object.assign(new Error('Request body is not valid UTF-8'), { type: INVALID_UTF8_BODY });
  }
}

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
