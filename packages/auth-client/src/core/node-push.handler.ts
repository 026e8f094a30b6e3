import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type AuthClient } from './auth-client';
import { bodyAlreadyRead, readBody } from './read-body';
import { type PushResult } from './stream.client';

const TOO_LARGE: PushResult = {
  status: 400,
  body: { err: 'invalid_request', description: 'the body is larger than a SET can be' },
};

/**
 * The RFC 8935 push endpoint as a plain Node handler: `app.post('/ssf/events', handler)` in
 * Express, or `http.createServer(handler)`. It reads the raw body itself unless a body
 * parser already left a string or Buffer in `request.body`.
 */
export function createNodePushHandler(client: AuthClient) {
  return async (
    request: IncomingMessage & { body?: unknown; rawBody?: unknown },
    response: ServerResponse,
  ): Promise<void> => {
    const body = bodyAlreadyRead(request) ?? (await readBody(request));
    const result =
      body === undefined
        ? TOO_LARGE
        : await client.receivePush(request.headers['content-type'], body);
    response.statusCode = result.status;
    if ('body' in result) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(result.body));
    } else {
      response.end();
    }
  };
}
