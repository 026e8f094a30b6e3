import { type RevocationStore } from './revocation.store';

/** The single-instance store: a map of ended session ids to the time they can be forgotten. */
export class MemoryRevocationStore implements RevocationStore {
  private readonly endedUntil = new Map<string, number>();
  private warm = false;
  private nextSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** One process, no other instance to tell: messages have no one to reach. */
  markEnded(sessionIds: readonly string[], ttlMs: number): Promise<void> {
    const until = this.now() + ttlMs;
    for (const id of sessionIds) this.endedUntil.set(id, until);
    this.sweep();
    return Promise.resolve();
  }

  isEnded(sessionId: string): Promise<boolean | undefined> {
    if (!this.warm) return Promise.resolve(undefined);
    const until = this.endedUntil.get(sessionId);
    return Promise.resolve(until !== undefined && until > this.now());
  }

  markWarm(): Promise<void> {
    this.warm = true;
    return Promise.resolve();
  }

  get size(): number {
    return this.endedUntil.size;
  }

  /** Forgets expired entries at most once a second, so memory tracks only the last TTL of logouts. */
  private sweep(): void {
    const now = this.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + 1_000;
    for (const [id, until] of this.endedUntil) if (until <= now) this.endedUntil.delete(id);
  }
}
