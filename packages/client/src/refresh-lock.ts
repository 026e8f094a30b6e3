/**
 * Runs one refresh at a time among every client that shares the lock's name. The task learns
 * whether it had to wait for another holder: if so, that holder has just refreshed (or failed
 * to), and its outcome is on its way over the channel.
 */
export interface RefreshLock {
  run<T>(task: (waited: boolean) => Promise<T>): Promise<T>;
}

interface LockManagerLike {
  request<T>(name: string, callback: (lock: unknown) => Promise<T>): Promise<T>;
  request<T>(
    name: string,
    options: { ifAvailable: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
}

/** Tails of the in-process queues, by name: the fallback where Web Locks are missing (Node 20). */
const queues = new Map<string, Promise<unknown>>();

function processLock(name: string): RefreshLock {
  return {
    run<T>(task: (waited: boolean) => Promise<T>): Promise<T> {
      const previous = queues.get(name);
      const waited = previous !== undefined;
      const start = () => task(waited);
      const result = (previous ?? Promise.resolve()).then(start, start);
      const tail = result.catch(() => undefined);
      queues.set(name, tail);
      void tail.then(() => {
        if (queues.get(name) === tail) queues.delete(name);
      });
      return result;
    },
  };
}

function webLock(locks: LockManagerLike, name: string): RefreshLock {
  return {
    run: (task) =>
      locks.request(name, { ifAvailable: true }, (lock) =>
        lock ? task(false) : locks.request(name, () => task(true)),
      ),
  };
}

/**
 * Web Locks where the runtime has them (every tab of the origin waits its turn), otherwise a
 * queue shared by the clients of this page or process. `crossTab: false` keeps only the
 * client's own one-at-a-time: tabs then meet at the service, where the loser gets 409.
 */
export function refreshLock(name: string, crossTab: boolean): RefreshLock {
  if (!crossTab) return { run: (task) => task(false) };
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (locks && typeof locks.request === 'function') return webLock(locks, name);
  return processLock(name);
}
