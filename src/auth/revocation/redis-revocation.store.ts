import type Redis from 'ioredis';
import { type RevocationStore } from './revocation.store';

/** Under the client's `REDIS_KEY_PREFIX`. */
const PREFIX = 'revoked:';
/** Present while Redis holds every recent ended session; gone after a Redis restart. */
const WARM_KEY = `${PREFIX}warm`;

/** The shared store: one key per ended session, expiring with the last access token it could have. */
export class RedisRevocationStore implements RevocationStore {
  constructor(private readonly redis: Redis) {}

  async markEnded(sessionIds: readonly string[], ttlMs: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds) pipeline.set(PREFIX + id, '1', 'PX', ttlMs);
    const results = await pipeline.exec();
    const failure = results?.find(([error]) => error !== null)?.[0];
    if (failure) throw failure;
  }

  async isEnded(sessionId: string): Promise<boolean | undefined> {
    try {
      const [ended, warm] = await this.redis.mget(PREFIX + sessionId, WARM_KEY);
      if (warm === null) return undefined;
      return ended !== null;
    } catch {
      return undefined;
    }
  }

  async markWarm(): Promise<void> {
    await this.redis.set(WARM_KEY, '1');
  }
}
