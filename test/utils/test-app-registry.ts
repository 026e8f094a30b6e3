/**
 * The test apps of one test file that are still starting or not closed. A hook that times out
 * on a loaded machine leaves its `createTestApp` running, and the app it returns later has no
 * owner: its connections would keep Jest from exiting. After each file, `closeLeftovers`
 * (registered by `close-leftover-apps.ts`) waits for such starts and closes what is open.
 */
interface Closable {
  close(): Promise<void>;
}

const starting = new Set<Promise<unknown>>();
const open = new Set<Closable>();

export const testApps = {
  track<T extends Closable>(start: Promise<T>): Promise<T> {
    starting.add(start);
    start.then(
      (app) => {
        starting.delete(start);
        open.add(app);
      },
      () => starting.delete(start),
    );
    return start;
  },

  closed(app: Closable): void {
    open.delete(app);
  },

  async closeLeftovers(): Promise<void> {
    await Promise.allSettled([...starting]);
    await Promise.allSettled([...open].map((app) => app.close()));
  },
};
