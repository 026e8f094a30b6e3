import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The admin console, built into dist/admin-console and served by the service at /admin.
 * No inline script or style is emitted, so the page runs under a CSP without 'unsafe-inline'.
 */
export default defineConfig({
  root,
  base: '/admin/',
  // The typed client from its sources: no build of the workspace needed first (nor in the image).
  resolve: {
    alias: {
      '@auth-service/client': fileURLToPath(
        new URL('../packages/client/src/index.ts', import.meta.url),
      ),
    },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/admin-console', import.meta.url)),
    emptyOutDir: true,
    // A modulepreload polyfill would be an inline script: modern browsers need none.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: true,
  },
});
