/** A session this instance confirmed live in PostgreSQL, with its user's roles as stored. */
export interface LiveSession {
  userId: string;
  roles: string[];
}

/** Enough for every session active on a busy instance; the oldest entries go first beyond it. */
const CAPACITY = 50_000;

/**
 * Sessions confirmed live, so a live token's request costs no round trip. An entry is
 * forgotten the moment its session ends here or elsewhere (the ending is published to every
 * instance), after `ttlMs` whatever happens (the bound on stale roles and on an ending
 * whose publication was lost), and all at once when this instance may have missed endings.
 *
 * `generation` changes on every forgetting: a lookup that started before an ending must not
 * store the "live" it read before that ending committed.
 */
export class LiveSessionCache {
  private readonly entries = new Map<string, LiveSession & { until: number }>();
  private currentGeneration = 0;

  constructor(private readonly ttlMs: number) {}

  get generation(): number {
    return this.currentGeneration;
  }

  get(sessionId: string, now: number): LiveSession | undefined {
    const entry = this.entries.get(sessionId);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  /** Stores a "live" read at `generation`, unless something was forgotten since. */
  remember(sessionId: string, session: LiveSession, generation: number, now: number): void {
    if (generation !== this.currentGeneration) return;
    if (this.entries.size >= CAPACITY) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(sessionId, { ...session, until: now + this.ttlMs });
  }

  forget(sessionIds: readonly string[]): void {
    this.currentGeneration++;
    for (const id of sessionIds) this.entries.delete(id);
  }

  forgetAll(): void {
    this.currentGeneration++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
