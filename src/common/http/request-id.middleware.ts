import { randomUUID } from 'node:crypto';
import { type NextFunction, type Request, type Response } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    /** The caller's `X-Request-Id` when acceptable, otherwise a fresh UUID. */
    requestId: string;
  }
}

const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Gives every request an id, echoes it on the response and makes it available to the audit. */
export function requestIdMiddleware(
  request: Request,
  response: Response,
  next: NextFunction,
): void {
  const supplied = request.headers['x-request-id'];
  request.requestId =
    typeof supplied === 'string' && ACCEPTABLE_REQUEST_ID.test(supplied) ? supplied : randomUUID();
  response.setHeader('X-Request-Id', request.requestId);
  next();
}
