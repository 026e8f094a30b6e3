import { type ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';

type Increment = ThrottlerStorage['increment'];

/**
 * One hit: count it, start the window on the first, block past the limit, and unblock (a
 * fresh window of one hit) once the block has run out. KEYS: hits, blocked; ARGV: ttl, limit,
 * block duration (ms). The logic and keys of `@nest-lab/throttler-storage-redis`, which this
 * replaces: instances before and after it share their counters.
 */
const INCREMENT_SCRIPT = `
local hitKey = KEYS[1]
local blockKey = KEYS[2]
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockDuration = tonumber(ARGV[3])
local totalHits = redis.call('INCR', hitKey)
local timeToExpire = redis.call('PTTL', hitKey)
if timeToExpire <= 0 then
  redis.call('PEXPIRE', hitKey, ttl)
  timeToExpire = ttl
end
local isBlocked = redis.call('GET', blockKey)
local timeToBlockExpire = 0
if isBlocked then
  timeToBlockExpire = redis.call('PTTL', blockKey)
elseif totalHits > limit then
  redis.call('SET', blockKey, 1, 'PX', blockDuration)
  isBlocked = '1'
  timeToBlockExpire = blockDuration
end
if isBlocked and timeToBlockExpire <= 0 then
  redis.call('DEL', blockKey)
  redis.call('SET', hitKey, 1, 'PX', ttl)
  totalHits = 1
  timeToExpire = ttl
  isBlocked = false
end
return { totalHits, timeToExpire, isBlocked and 1 or 0, timeToBlockExpire }`;

type ScriptedRedis = Redis & {
  throttlerIncrement(
    hitKey: string,
    blockKey: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<unknown>;
};

/**
 * Rate-limit counters in Redis, atomic across instances. The script is sent by its SHA
 * (`EVALSHA`, ioredis loads it on `NOSCRIPT`): sending its text with every hit cost Redis
 * a hash of it per call and the service the bytes.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: Redis) {
    if (!('throttlerIncrement' in redis)) {
      redis.defineCommand('throttlerIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    }
  }

  async increment(...[key, ttl, limit, blockDuration, name]: Parameters<Increment>) {
    const prefix = `{${key}:${name}}`;
    const result = await (this.redis as ScriptedRedis).throttlerIncrement(
      `${prefix}:hits`,
      `${prefix}:blocked`,
      ttl,
      limit,
      blockDuration,
    );
    if (!Array.isArray(result) || result.length !== 4 || !result.every(Number.isInteger)) {
      throw new TypeError(`Unexpected rate-limit counter reply: ${JSON.stringify(result)}`);
    }
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = result as number[];
    return {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    };
  }
}
