import { type FastifyReply, type FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain.error';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** RFC 6749/7662/7009 endpoints take form bodies; everything else JSON. */
const FORM_ROUTES = /^\/oauth\//;
/** `type/subtype` followed by nothing or by parameters: anything else is no media type at all. */
const MEDIA_TYPE = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:;|$)/;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

function hasBody(request: FastifyRequest): boolean {
  const { headers } = request;
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * A body must be JSON (form-encoded on the OAuth endpoints), in UTF-8: anything else is 415,
 * before anything reads it, whatever the method. Fastify's own 415 would only cover the
 * types no parser takes, and only on methods it parses bodies for.
 */
export function contentTypeHook(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  if (!hasBody(request)) return done();
  const accepted = FORM_ROUTES.test(request.url) ? FORM : JSON_TYPE;
  const header = request.headers['content-type'] ?? '';
  if (MEDIA_TYPE.exec(header)?.[1].toLowerCase() !== accepted) {
    return done(new DomainError('unsupported_media_type', `Content-Type must be ${accepted}`));
  }
  const charset = CHARSET.exec(header)?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return done(new DomainError('unsupported_media_type', 'Unsupported body encoding'));
  }
  done();
}
