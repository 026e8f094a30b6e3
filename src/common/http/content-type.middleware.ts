import { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from '../errors/domain.error';

const FORM_ROUTES = /^\/oauth\//;

function hasBody(request: Request): boolean {
  return (
    request.headers['transfer-encoding'] !== undefined ||
    Number(request.headers['content-length'] ?? 0) > 0
  );
}

/** A body must be JSON (form-encoded on the OAuth endpoints, as RFC 7662/7009 require): anything else is 415. */
export function contentTypeMiddleware(
  request: Request,
  _response: Response,
  next: NextFunction,
): void {
  if (!hasBody(request)) return next();
  const accepted = FORM_ROUTES.test(request.path)
    ? 'application/x-www-form-urlencoded'
    : 'application/json';
  if (request.is(accepted) === false || !request.headers['content-type']) {
    return next(new DomainError('unsupported_media_type', `Content-Type must be ${accepted}`));
  }
  next();
}
