import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { readProcessEnvironment } from '../../config/app-config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** A real Redis (REDIS_URL, or the local server), under a key prefix of this run's own. */
const REDIS_URL = readProcessEnvironment().REDIS_URL || 'redis://127.0.0.1:6379';
const MINUTE = 60_000;

describe('RedisThrottlerStorage', () => {
  const prefix = `throttler-spec:${randomUUID()}:`;
  let redis: Redis;
  let storage: RedisThrottlerStorage;
  let sent: string[];

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { keyPrefix: prefix, lazyConnect: true });
    await redis.connect();
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (command, stream) => {
      sent.push(command.name);
      return send(command, stream);
    };
    storage = new RedisThrottlerStorage(redis);
  });

  beforeEach(() => (sent = []));

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
    await redis.quit();
  });

  it('counts hits in a window and blocks past the limit for the block duration', async () => {
    const key = randomUUID();
    const hits = [];
    for (let hit = 0; hit < 3; hit++)
      hits.push(await storage.increment(key, MINUTE, 2, 5 * MINUTE, 'logout'));
    expect(hits.map(({ totalHits, isBlocked }) => [totalHits, isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(hits[0].timeToExpire).toBe(60);
    expect(hits[2].timeToBlockExpire).toBe(300);
    // Another bucket of the same key counts on its own.
    expect(await storage.increment(key, MINUTE, 2, MINUTE, 'password')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('keeps the keys of @nest-lab/throttler-storage-redis, so old and new instances share counts', async () => {
    const key = randomUUID();
    await storage.increment(key, MINUTE, 1, MINUTE, 'logout');
    await storage.increment(key, MINUTE, 1, MINUTE, 'logout');
    expect(await redis.get(`{${key}:logout}:hits`)).toBe('2');
    expect(await redis.get(`{${key}:logout}:blocked`)).toBe('1');
  });

  it('sends the script by its SHA, not its text, once Redis has it', async () => {
    await storage.increment(randomUUID(), MINUTE, 5, MINUTE, 'logout');
    sent = [];
    await storage.increment(randomUUID(), MINUTE, 5, MINUTE, 'logout');
    expect(sent).toEqual(['evalsha']);
  });
});
