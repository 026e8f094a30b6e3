import { type AddressInfo } from 'node:net';
import {
  createTestApp,
  type TestApp,
  type TestAppOptions,
} from '../../../../test/utils/create-test-app';

export interface ListeningService extends TestApp {
  /** `http://127.0.0.1:<port>`: the real service over real HTTP, as a front end reaches it. */
  baseUrl: string;
}

/** The service booted in-process on its real database (as the e2e suite does), listening on a free port. */
export async function startService(options: TestAppOptions = {}): Promise<ListeningService> {
  const t = await createTestApp(options);
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { ...t, baseUrl: `http://127.0.0.1:${port}` };
}

let counter = 0;

/** A new account on the service, so tests never share a user. */
export async function registerUser(baseUrl: string): Promise<{ email: string; password: string }> {
  const email = `client-${Date.now()}-${counter++}@example.com`;
  const password = 'correct horse battery staple';
  const response = await fetch(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status}`);
  return { email, password };
}
