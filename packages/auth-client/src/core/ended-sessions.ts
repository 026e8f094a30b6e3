/**
 * The sessions this service has learned are ended, each remembered for the access-token
 * lifetime: after that every token of the session has expired anyway. Entries are inserted
 * in time order, so forgetting is a walk from the oldest end of the map, never a full scan.
 */
export class EndedSessions {
  private readonly sessions = new Map<string, number>();
  /** Endings that name a user but no session: every token issued up to the instant is refused. */
  private readonly users = new Map<string, { issuedUpToSeconds: number; forgetAt: number }>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {}

  endSession(sessionId: string): void {
    this.forgetExpired();
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, this.now() + this.lifetimeMs);
  }

  endUserSessions(userId: string, issuedUpToSeconds: number): void {
    this.forgetExpired();
    const previous = this.users.get(userId);
    this.users.delete(userId);
    this.users.set(userId, {
      issuedUpToSeconds: Math.max(issuedUpToSeconds, previous?.issuedUpToSeconds ?? 0),
      forgetAt: this.now() + this.lifetimeMs,
    });
  }

  isEnded(token: { sessionId: string; userId: string; issuedAt: number }): boolean {
    const now = this.now();
    const sessionForgetAt = this.sessions.get(token.sessionId);
    if (sessionForgetAt !== undefined && sessionForgetAt > now) return true;
    const user = this.users.get(token.userId);
    return user !== undefined && user.forgetAt > now && token.issuedAt <= user.issuedUpToSeconds;
  }

  get size(): number {
    return this.sessions.size + this.users.size;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [sessionId, forgetAt] of this.sessions) {
      if (forgetAt > now) break;
      this.sessions.delete(sessionId);
    }
    for (const [userId, entry] of this.users) {
      if (entry.forgetAt > now) break;
      this.users.delete(userId);
    }
  }
}
