import { resolve } from 'node:path';
import { type ServeStaticOptions } from '@nestjs/platform-express/interfaces/serve-static-options.interface';

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

interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
}

/**
 * The console at /admin/ (`/admin` redirects there): index.html and hashed assets; its views
 * are hash routes, so no catch-all shadows the API's /admin/* routes or turns their 404s into
 * a page. A path that is no file falls through to the API.
 */
export const ADMIN_CONSOLE_ASSETS: ServeStaticOptions = {
  prefix: '/admin',
  index: 'index.html',
  redirect: true,
  fallthrough: true,
  setHeaders: (response: HeaderTarget, path: string) => {
    response.setHeader('Content-Security-Policy', ADMIN_CONSOLE_CSP);
    response.setHeader('Referrer-Policy', 'no-referrer');
    // Asset names carry their content hash; the page itself must always be revalidated.
    response.setHeader(
      'Cache-Control',
      /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  },
};
