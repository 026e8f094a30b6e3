import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupFunction } from 'node:net';
import { isPrivateAddress } from './private-address';

export interface PushResult {
  /** The HTTP status, or undefined when no answer came (refused, timed out, blocked). */
  status?: number;
  /** The receiver's RFC 8935 error (`err`), or why nothing was sent. */
  error?: string;
}

const MAX_RESPONSE_BYTES = 16 * 1024;

/**
 * POSTs one token to a receiver with the SSRF rules applied at connection time: the
 * address the name resolves to is checked when the socket connects (so DNS rebinding cannot
 * swap in a private address after a check), redirects are never followed (node's client
 * does not), the answer is read only up to a small bound, and the whole exchange times out.
 */
export function push(
  url: string,
  body: string,
  options: {
    contentType: string;
    allowPrivate: boolean;
    timeoutMs: number;
    authorization?: string;
  },
): Promise<PushResult> {
  const target = new URL(url);
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses;
      const blocked =
        !options.allowPrivate && list.some((entry) => isPrivateAddress(entry.address));
      if (blocked || list.length === 0) {
        return callback(
          Object.assign(new Error('resolves to a private address'), { code: 'EPRIVATE' }),
          '',
          0,
        );
      }
      if (lookupOptions.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const call = send(
      target,
      {
        method: 'POST',
        lookup,
        timeout: options.timeoutMs,
        headers: {
          'Content-Type': options.contentType,
          'Content-Length': Buffer.byteLength(body),
          Accept: 'application/json',
          ...(options.authorization ? { Authorization: options.authorization } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < MAX_RESPONSE_BYTES) text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode, error: errorOf(text) }));
        response.on('error', () => resolve({ status: response.statusCode }));
      },
    );
    call.on('timeout', () => call.destroy(new Error('timed out')));
    call.on('error', (error: NodeJS.ErrnoException) =>
      resolve({
        error: error.code === 'EPRIVATE' ? 'private address' : (error.code ?? error.message),
      }),
    );
    call.end(body);
  });
}

function errorOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { err?: unknown; description?: unknown };
    if (typeof parsed.err === 'string') {
      return typeof parsed.description === 'string'
        ? `${parsed.err}: ${parsed.description}`.slice(0, 300)
        : parsed.err.slice(0, 300);
    }
  } catch {
    // Not an RFC 8935 error body: the status says enough.
  }
  return undefined;
}
