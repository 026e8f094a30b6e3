import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const SOURCES = join(__dirname, '..', '..', 'src');
const OPENAPI_FETCH = join(dirname(require.resolve('openapi-fetch')), 'index.mjs');

/**
 * The page a browser test opens: the client's own sources, compiled to ES modules as they are
 * requested (no bundler, no build step), with openapi-fetch from node_modules. The harness on
 * `window` is what the test drives; everything behind it is the published code.
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>auth-service client test page</title>
<script type="importmap">{ "imports": { "openapi-fetch": "/modules/openapi-fetch.mjs" } }</script>
<script type="module">
  import { AuthClient, webStorageTokenStore } from '/src/index.js';
  let skew = 0;
  let auth;
  let armed;
  window.harness = {
    start({ localStorage: useLocalStorage, ...options }) {
      const store = useLocalStorage ? webStorageTokenStore(localStorage) : undefined;
      auth = new AuthClient({ ...options, store, now: () => Date.now() + skew });
    },
    login: (email, password) => auth.login(email, password).then((user) => user.email),
    whenSignedIn: () =>
      auth.sessionId
        ? Promise.resolve(auth.sessionId)
        : new Promise((resolve) => {
            const off = auth.onChange((tokens) => tokens && (off(), resolve(tokens.sessionId)));
          }),
    nearExpiry() {
      skew += 14.5 * 60_000;
    },
    async me() {
      const { data, response } = await auth.api.GET('/auth/me');
      return { status: response.status, sessionId: data?.sessionId ?? null };
    },
    /** Calls /auth/me when the 'go' message arrives, so two tabs start in the same instant. */
    arm() {
      const go = new BroadcastChannel('go');
      armed = new Promise((resolve) => (go.onmessage = () => (go.close(), resolve())))
        .then(() => window.harness.me());
    },
    go: () => new BroadcastChannel('go').postMessage('go'),
    armed: () => armed,
    accessToken: () => auth.accessToken(),
    refresh: () => auth.refresh(),
    signedIn: () => auth.user !== null,
  };
  document.title = 'ready';
</script>`;

export interface ClientPageServer {
  origin: string;
  close(): Promise<void>;
}

async function compiled(name: string): Promise<string> {
  const source = await readFile(join(SOURCES, `${name}.ts`), 'utf8');
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

export async function startClientPageServer(): Promise<ClientPageServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const send = (type: string, body: string) => {
      response.writeHead(200, { 'Content-Type': `${type}; charset=utf-8` });
      response.end(body);
    };
    const module = /^\/src\/([\w.-]+)\.js$/.exec(path);
    const answer = async () => {
      if (path === '/') return send('text/html', PAGE);
      if (path === '/modules/openapi-fetch.mjs')
        return send('text/javascript', await readFile(OPENAPI_FETCH, 'utf8'));
      if (module) return send('text/javascript', await compiled(module[1]));
      response.writeHead(404).end();
    };
    answer().catch(() => response.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
