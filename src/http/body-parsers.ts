import { isUtf8 } from 'node:buffer';
import { parse as parseForm } from 'node:querystring';
import { type FastifyInstance } from 'fastify';
import { DomainError } from '../common/errors/domain.error';

/** Every body the service accepts is at most this long (inflated). */
export const BODY_LIMIT = 100 * 1024;
/** As Express' urlencoded parser: a form with more fields than this is refused (413). */
const MAX_FORM_FIELDS = 1000;

/**
 * Refuses a body that is not valid UTF-8 (RFC 8259 requires it of JSON) instead of letting the
 * decoder replace bad bytes with U+FFFD, which would store a password or an email other than
 * the one the client sent.
 */
function utf8Text(body: Buffer): string {
  if (!isUtf8(body)) throw new DomainError('validation_failed', 'Request body is not valid UTF-8');
  return body.toString('utf8');
}

/**
 * Strict JSON (an object or an array, as Express' `strict` parser took), parsed with plain
 * `JSON.parse` so keys such as `__proto__` arrive as data for the validation pipe to refuse
 * by name. The parser's own message would quote the body (a password): the message is fixed.
 */
function parseJson(body: Buffer): unknown {
  const text = utf8Text(body);
  if (text.trim() === '') return {};
  if (!/^[\s]*[[{]/.test(text)) {
    throw new DomainError('validation_failed', 'Request body is not valid JSON');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('validation_failed', 'Request body is not valid JSON');
  }
}

function parseUrlEncoded(body: Buffer): unknown {
  const text = utf8Text(body);
  if (text.split('&').length > MAX_FORM_FIELDS) {
    throw new DomainError('payload_too_large', 'Request body has too many fields');
  }
  return parseForm(text, '&', '=', { maxKeys: MAX_FORM_FIELDS });
}

/**
 * The only bodies the service reads: JSON, and forms for the OAuth endpoints (RFC 6749 token,
 * RFC 7662 introspection, RFC 7009 revocation). Fastify's own parsers go: its JSON parser
 * takes any JSON value and refuses `__proto__` with its own message, and a plain-text parser
 * is nothing this API takes. `contentTypeHook` has refused every other type before this.
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const options = { parseAs: 'buffer', bodyLimit: BODY_LIMIT } as const;
  fastify.addContentTypeParser('application/json', options, (_request, body: Buffer, done) => {
    try {
      done(null, parseJson(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    options,
    (_request, body: Buffer, done) => {
      try {
        done(null, parseUrlEncoded(body));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
