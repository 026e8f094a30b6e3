import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';

const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when acceptable (1–128 visible ASCII
 * characters), otherwise a fresh UUID. It becomes `request.id`, which the log lines, the audit
 * and the `X-Request-Id` response header all carry.
 */
export function requestIdOf(request: IncomingMessage): string {
  const supplied = request.headers['x-request-id'];
  return typeof supplied === 'string' && ACCEPTABLE_REQUEST_ID.test(supplied)
    ? supplied
    : randomUUID();
}
