import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from 'helmet';

/**
 * The headers helmet's defaults set, worked out once. They do not depend on the request, but
 * `@fastify/helmet` builds helmet's whole middleware chain (the Content Security Policy parsed
 * from its directives included) for every request: 4 % of a logout's CPU in a profile.
 */
export function helmetHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => (headers[name.toLowerCase()] = `${value}`),
    // Only `X-Powered-By`, which neither Fastify nor this service sets.
    removeHeader: () => undefined,
  };
  let failure: unknown;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure !== undefined) throw new Error('helmet refused its defaults', { cause: failure });
  return Object.freeze(headers);
}

/** `onRequest` hook: helmet's headers on every response, errors and 404s included. */
export function securityHeadersHook(headers: Readonly<Record<string, string>> = helmetHeaders()) {
  return (_request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    reply.headers(headers);
    done();
  };
}
