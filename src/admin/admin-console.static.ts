import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { type FastifyInstance } from 'fastify';

/** Where `npm run build` puts the console (vite, after nest): the same place from src/ and dist/. */
export const ADMIN_CONSOLE_ROOT = resolve(__dirname, '..', '..', 'dist', 'admin-console');

/**
 * No inline script or style anywhere in the console, so nothing needs 'unsafe-inline', a nonce
 * or a hash; it talks only to this origin and can be framed by no one.
 */
export const ADMIN_CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The console at /admin/ (`/admin` redirects there): index.html and hashed assets; its views
 * are hash routes, so no catch-all shadows the API's /admin/* routes (Fastify's router prefers
 * them over the static wildcard) or turns their 404s into a page. A path that is no file is
 * the API's 404. Its own plugin scope, so its headers replace helmet's on its files only.
 */
export async function adminConsole(scope: FastifyInstance): Promise<void> {
  scope.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 400) return;
    reply.header('content-security-policy', ADMIN_CONSOLE_CSP);
    reply.header('referrer-policy', 'no-referrer');
    // Asset names carry their content hash; the page itself must always be revalidated.
    reply.header(
      'cache-control',
      /^\/admin\/assets\//.test(request.url) ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  });
  await scope.register(fastifyStatic, {
    root: ADMIN_CONSOLE_ROOT,
    prefix: '/admin/',
    index: 'index.html',
    redirect: false,
  });
  // The router ignores a trailing slash, so `/admin/` arrives here too: it is the page,
  // `/admin` redirects to it (relative asset URLs need the slash).
  scope.get('/admin', (request, reply) => {
    const [path, query] = request.url.split(/\?(.*)/s, 2);
    if (path.endsWith('/')) return reply.sendFile('index.html');
    return reply.redirect(`/admin/${query ? `?${query}` : ''}`, 301);
  });
}
