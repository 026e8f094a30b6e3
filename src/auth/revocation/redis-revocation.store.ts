import type Redis from 'ioredis';
import { type ChannelMessage } from '../../redis/channel-message';
import { type RevocationStore } from './revocation.store';

/** Under the client's `REDIS_KEY_PREFIX`. */
const PREFIX = 'revoked:';
/** Present while Redis holds every recent ended session; gone after a Redis restart. */
const WARM_KEY = `${PREFIX}warm`;
/** Keys per script call: one command for a logout of thousands of sessions, bounded arguments. */
const KEYS_PER_CALL = 5_000;

/**
 * ARGV[1] the TTL in ms. One command however many sessions end: a global logout of 10,000
 * sessions would otherwise be 10,000 commands for the client to build and Redis to parse.
 */
const MARK_ENDED_SCRIPT = `
for _, key in ipairs(KEYS) do redis.call('SET', key, '1', 'PX', ARGV[1]) end
return #KEYS`;

type ScriptedRedis = Redis & {
  markSessionsEnded(count: number, ...keysThenTtl: (string | number)[]): Promise<number>;
};

/** The shared store: one key per ended session, expiring with the last access token it could have. */
export class RedisRevocationStore implements RevocationStore {
  constructor(private readonly redis: Redis) {
    if (!('markSessionsEnded' in redis)) {
      redis.defineCommand('markSessionsEnded', { lua: MARK_ENDED_SCRIPT });
    }
  }

  /**
   * The writes, then the messages, sent together without waiting for replies: one round trip.
   * Not a pipeline of their own: the client's auto-pipelining puts them in the same write as
   * the commands of other requests in flight.
   */
  async markEnded(
    sessionIds: readonly string[],
    ttlMs: number,
    messages: readonly ChannelMessage[] = [],
  ): Promise<void> {
    const redis = this.redis as ScriptedRedis;
    const replies: Promise<unknown>[] = [];
    for (let start = 0; start < sessionIds.length; start += KEYS_PER_CALL) {
      const keys = sessionIds.slice(start, start + KEYS_PER_CALL).map((id) => PREFIX + id);
      replies.push(redis.markSessionsEnded(keys.length, ...keys, Math.ceil(ttlMs)));
    }
    for (const { channel, message } of messages) replies.push(redis.publish(channel, message));
    await Promise.all(replies);
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
