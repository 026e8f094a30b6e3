import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../../../test/utils/chromium';
import { startClientPageServer, type ClientPageServer } from './utils/client-page-server';
import { registerUser, startService, type ListeningService } from './utils/listening-service';

interface Harness {
  start(options: {
    baseUrl: string;
    name: string;
    crossTabLock: boolean;
    localStorage: boolean;
  }): void;
  login(email: string, password: string): Promise<string>;
  whenSignedIn(): Promise<string>;
  nearExpiry(): void;
  me(): Promise<{ status: number; sessionId: string | null }>;
  arm(): void;
  go(): void;
  armed(): Promise<{ status: number; sessionId: string | null }>;
  accessToken(): Promise<string>;
  refresh(): Promise<void>;
  signedIn(): boolean;
}
declare const harness: Harness;

describe('AuthClient in Chromium: two tabs of one browser', () => {
  let service: ListeningService;
  let pages: ClientPageServer;
  let browser: Browser;
  let context: BrowserContext;
  let refreshes: { status: number }[];

  beforeAll(async () => {
    pages = await startClientPageServer();
    service = await startService({ env: { CORS_ORIGINS: pages.origin } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await pages?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    refreshes = [];
    context.on('response', (response) => {
      const request = response.request();
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/auth/refresh')
        refreshes.push({ status: response.status() });
    });
  });
  afterEach(() => context.close());

  /** Two tabs of the page, the first signed in, the second given the pair by the first. */
  async function twoSignedInTabs(options: {
    crossTabLock: boolean;
    localStorage: boolean;
  }): Promise<[Page, Page]> {
    const user = await registerUser(service.baseUrl);
    const tabs: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const tab = await context.newPage();
      await tab.goto(pages.origin);
      await tab.waitForFunction('document.title === "ready"');
      await tab.evaluate((options) => harness.start(options), {
        baseUrl: service.baseUrl,
        name: 'app',
        ...options,
      });
      tabs.push(tab);
    }
    const [first, second] = tabs;
    await first.evaluate(({ email, password }) => harness.login(email, password), user);
    const sessionId = await second.evaluate(() => harness.whenSignedIn());
    expect(sessionId).toBe(await first.evaluate(() => harness.whenSignedIn()));
    return [first, second];
  }

  /** Both tabs find the access token about to expire and call the API in the same instant. */
  async function refreshTogether(tabs: Page[]) {
    for (const tab of tabs) await tab.evaluate(() => (harness.nearExpiry(), harness.arm()));
    await tabs[0].evaluate(() => harness.go());
    return Promise.all(tabs.map((tab) => tab.evaluate(() => harness.armed())));
  }

  async function liveSessions(tab: Page): Promise<unknown[]> {
    const token = await tab.evaluate(() => harness.accessToken());
    const response = await fetch(`${service.baseUrl}/auth/sessions`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return (await response.json()) as unknown[];
  }

  async function expectBothSignedInOnOneSession(tabs: Page[]) {
    const tokens = await Promise.all(tabs.map((tab) => tab.evaluate(() => harness.accessToken())));
    expect(tokens[1]).toBe(tokens[0]);
    expect(await liveSessions(tabs[0])).toHaveLength(1);
    // The pair they share is the live one: the second tab rotates it, the first follows.
    await tabs[1].evaluate(() => harness.refresh());
    for (const tab of tabs) {
      expect(await tab.evaluate(() => harness.signedIn())).toBe(true);
      expect((await tab.evaluate(() => harness.me())).status).toBe(200);
    }
    expect(await liveSessions(tabs[1])).toHaveLength(1);
  }

  it.each([
    ['in memory, the pair arriving over BroadcastChannel', false],
    ['in localStorage', true],
  ])(
    'with Web Locks and tokens %s, one tab refreshes and the other takes its pair',
    async (_, localStorage) => {
      const tabs = await twoSignedInTabs({ crossTabLock: true, localStorage });

      const results = await refreshTogether(tabs);

      expect(results.map((result) => result.status)).toEqual([200, 200]);
      expect(results[1].sessionId).toBe(results[0].sessionId);
      // The second tab waited on the lock, then took the first one's pair: no second refresh.
      expect(refreshes).toEqual([{ status: 200 }]);
      await expectBothSignedInOnOneSession(tabs);
    },
  );

  it('without Web Locks, both refreshes reach the service together; the loser takes the winner’s pair', async () => {
    const tabs = await twoSignedInTabs({ crossTabLock: false, localStorage: false });
    // Hold both tabs' refresh requests until both are on their way: the service gets the same
    // refresh token twice at once, as it would from two tabs that do not coordinate.
    const held: (() => Promise<void>)[] = [];
    await context.route('**/auth/refresh', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      held.push(() => route.continue());
      if (held.length === 2) await Promise.all(held.map((release) => release()));
    });

    const results = await refreshTogether(tabs);

    expect(results.map((result) => result.status)).toEqual([200, 200]);
    expect(refreshes.map((r) => r.status).sort()).toEqual([200, 409]);
    await context.unroute('**/auth/refresh');
    await expectBothSignedInOnOneSession(tabs);
  });
});
