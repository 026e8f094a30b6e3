/** Runs one refresh at a time among every client that shares the lock's name. */
export interface RefreshLock {
  run<T>(task: () => Promise<T>): Promise<T>;
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Tails of the in-process queues, by name: the fallback where Web Locks are missing (Node 20). */
const queues = new Map<string, Promise<unknown>>();

function processLock(name: string): RefreshLock {
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const previous = queues.get(name) ?? Promise.resolve();
      const result = previous.then(task, task);
      const tail = result.catch(() => undefined);
      queues.set(name, tail);
      void tail.then(() => {
        if (queues.get(name) === tail) queues.delete(name);
      });
      return result;
    },
  };
}

/**
 * Web Locks where the runtime has them (every tab of the origin waits its turn), otherwise a
 * queue shared by the clients of this page or process. `crossTab: false` keeps only the
 * client's own one-at-a-time: tabs then meet at the service, where the loser gets 409.
 */
export function refreshLock(name: string, crossTab: boolean): RefreshLock {
  if (!crossTab) return { run: (task) => task() };
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (locks && typeof locks.request === 'function') {
    return { run: (task) => locks.request(name, task) };
  }
  return processLock(name);
}
