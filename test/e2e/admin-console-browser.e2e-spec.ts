import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { type App } from 'supertest/types';
import { ADMIN_CONSOLE_ROOT } from '../../src/admin/admin-console.static';
import { type LoggedIn, login, registerUser } from '../factories/session.factory';
import { launchChromium } from '../utils/chromium';
import { createTestApp, type TestApp } from '../utils/create-test-app';

const ADMIN_EMAIL = 'browser-admin@example.test';
const ADMIN_PASSWORD = 'browser admin password';
const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'admin-console');
const WIDTHS = { wide: 1280, narrow: 390 } as const;
type Width = keyof typeof WIDTHS;

/** The console is built by `npm run build`; a test run straight after a checkout builds it once. */
function ensureConsoleBuilt(): void {
  if (existsSync(join(ADMIN_CONSOLE_ROOT, 'index.html'))) return;
  const build = spawnSync('npm', ['run', 'build:console'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build:console failed');
}

describe('admin console in Chromium', () => {
  let t: TestApp;
  let server: App;
  let browser: Browser;
  let base: string;
  /** What the browser reported that a careful console never causes: CSP violations, script errors. */
  const problems: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SCREENSHOTS, { recursive: true });
    t = await createTestApp({
      env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    await t.app.listen(0, '127.0.0.1');
    server = t.app.getHttpServer();
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(() => {
    expect(problems).toEqual([]);
    problems.length = 0;
  });

  async function open(width: Width): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: WIDTHS[width], height: width === 'wide' ? 800 : 844 },
      deviceScaleFactor: 1,
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[134]/.test(message.text())) {
        problems.push(message.text());
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${base}/admin/`);
    return { context, page };
  }

  const shoot = (page: Page, name: string, width: Width) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}-${WIDTHS[width]}.png`) });

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** A readable, still unique address: the screenshots double as the README's pictures. */
  async function registerNamed(
    name: string,
  ): Promise<{ userId: string; email: string; password: string }> {
    const email = `${name}.${randomUUID().slice(0, 4)}@example.com`;
    const password = 'correct horse battery staple';
    const response = await request(server)
      .post('/auth/register')
      .send({ email, password })
      .expect(201);
    return { userId: (response.body as { id: string }).id, email, password };
  }

  const meStatus = async (session: LoggedIn) =>
    (await request(server).get('/auth/me').set('Authorization', `Bearer ${session.accessToken}`))
      .status;

  it('refuses a non-admin at sign-in, with a clear message, and leaves no session behind', async () => {
    const user = await registerUser(server);
    const { context, page } = await open('wide');
    await signIn(page, user.email, user.password);
    await page.getByRole('alert').getByText('does not have the admin role').waitFor();
    await shoot(page, 'sign-in-refused', 'wide');
    expect(await page.getByRole('heading', { name: 'Users' }).count()).toBe(0);
    const sessions: { n: number }[] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND ended_at IS NULL',
      [user.userId],
    );
    expect(sessions[0].n).toBe(0);
    await context.close();
  }, 120_000);

  it('lets an admin find a user, end one session, then all of them, and see it in the audit trail', async () => {
    const victim = await registerNamed('ada.lovelace');
    const phone = await login(
      server,
      victim,
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1',
    );
    const laptop = await login(
      server,
      victim,
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0.0.0 Safari/537.36',
    );
    const desktop = await login(
      server,
      victim,
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0',
    );

    const { context, page } = await open('wide');
    await shoot(page, 'sign-in', 'wide');
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByText('Database').locator('strong').getByText('up').waitFor();

    // Find the user by an email prefix, in another case.
    const prefix = victim.email.slice(0, 'ada.lov'.length).toUpperCase();
    await page.getByLabel('Email prefix or user id').fill(prefix);
    await page.getByRole('button', { name: 'Search' }).click();
    const result = page.getByRole('link', { name: victim.email });
    await result.waitFor();
    await shoot(page, 'users', 'wide');
    await result.click();
    await page.getByRole('heading', { name: victim.email }).waitFor();
    await page.getByRole('button', { name: /^End the session on Safari on iPhone/ }).waitFor();
    await shoot(page, 'user', 'wide');

    // End one session: the phone.
    await page.getByRole('button', { name: /^End the session on Safari on iPhone/ }).click();
    await page.getByRole('status').getByText('Revoked sessions: 1.').waitFor();
    expect(await meStatus(phone)).toBe(401);
    expect(await meStatus(laptop)).toBe(200);

    // Log out everywhere, after the step-up window has passed: the console asks for the password.
    t.clock.advance(6 * 60_000);
    const action = page.getByRole('form', { name: 'Log out everywhere' });
    await action.getByLabel('Reason (kept in the audit trail)').fill('Reported stolen laptop');
    const confirm = action.getByRole('button', { name: 'Log out everywhere' });
    expect(await confirm.isDisabled()).toBe(true);
    await action.getByLabel(/^Type .* to confirm$/).fill(victim.email);
    await confirm.click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await shoot(page, 'step-up', 'wide');
    await dialog.getByLabel('Password').fill(ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page
      .getByRole('status')
      .getByText('Logged out everywhere. Revoked sessions: 2.')
      .waitFor();
    await page.getByText('No live session.').waitFor();
    await shoot(page, 'user-after-logout', 'wide');
    for (const session of [phone, laptop, desktop]) expect(await meStatus(session)).toBe(401);

    // The audit trail of this user shows both endings, linked back to the user.
    await page.getByRole('link', { name: 'Audit events of this user →' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    const adminLogout = page.getByRole('row').filter({ hasText: 'admin_logout' });
    await adminLogout.waitFor();
    await page.getByRole('row').filter({ hasText: 'admin_session_revoked' }).waitFor();
    await adminLogout.getByRole('button').click();
    const detail = page.getByRole('complementary', { name: 'admin_logout' });
    await detail.getByText('Reported stolen laptop').waitFor();
    await shoot(page, 'audit', 'wide');
    await detail
      .getByRole('link')
      .filter({ hasText: victim.userId.slice(0, 8) })
      .click();
    await page.getByRole('heading', { name: victim.email }).waitFor();

    await page.getByRole('link', { name: 'Emergency brake' }).click();
    await page.getByRole('heading', { name: 'Emergency brake' }).waitFor();
    await shoot(page, 'emergency-brake', 'wide');
    await context.close();
  }, 180_000);

  it('is usable at 390 px wide: every view fits the width', async () => {
    const victim = await registerUser(server);
    await login(
      server,
      victim,
      'Mozilla/5.0 (Linux; Android 15) Chrome/131.0.0.0 Mobile Safari/537.36',
    );
    await request(server)
      .post('/auth/login')
      .send({ email: victim.email, password: 'wrong password!' })
      .expect(401);
    const { context, page } = await open('narrow');
    await shoot(page, 'sign-in', 'narrow');
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    const fits = async () =>
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

    await page.getByLabel('Email prefix or user id').fill(victim.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: victim.email }).waitFor();
    await fits();
    await shoot(page, 'users', 'narrow');
    await page.getByRole('link', { name: victim.email }).click();
    await page.getByRole('heading', { name: victim.email }).waitFor();
    await page.getByRole('button', { name: /^End the session on Chrome on Android/ }).waitFor();
    await fits();
    await shoot(page, 'user', 'narrow');
    await page.getByRole('link', { name: 'Audit events of this user →' }).click();
    const failure = page
      .getByRole('row')
      .filter({ hasText: 'login' })
      .filter({ hasText: 'failure' });
    await failure.waitFor();
    await failure.getByRole('button').click();
    await page
      .getByRole('complementary', { name: 'login' })
      .getByText('invalid_credentials')
      .waitFor();
    await fits();
    await shoot(page, 'audit', 'narrow');
    await page.getByRole('link', { name: 'Emergency brake' }).click();
    await page.getByRole('heading', { name: 'Emergency brake' }).waitFor();
    await fits();
    await shoot(page, 'emergency-brake', 'narrow');
    await context.close();
  }, 180_000);
});
