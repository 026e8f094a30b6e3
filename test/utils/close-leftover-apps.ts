import { testApps } from './test-app-registry';

// After each test file (after the hooks of its describe blocks): an app whose start outlived
// a timed-out hook is closed instead of holding connections open (see test-app-registry.ts).
afterAll(() => testApps.closeLeftovers(), 120_000);
