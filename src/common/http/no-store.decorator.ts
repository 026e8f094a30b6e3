import { applyDecorators, Header } from '@nestjs/common';

/**
 * For every route whose response carries a token or a secret (RFC 6749 §5.1): no cache, shared
 * or private, may keep it. `Pragma` is for HTTP/1.0 caches. A decorator on the route (not a
 * global header) so the routes that may be cached, such as the JWKS, keep their own policy.
 */
export const NoStore = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Header('Cache-Control', 'no-store'), Header('Pragma', 'no-cache'));
