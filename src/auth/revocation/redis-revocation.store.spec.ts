import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { readProcessEnvironment } from '../../config/app-config';
import { RedisRevocationStore } from './redis-revocation.store';

/** A real Redis (REDIS_URL, or the local server), under a key prefix of this run's own. */
const REDIS_URL = readProcessEnvironment().REDIS_URL || 'redis://127.0.0.1:6379';
const MINUTE = 60_000;

describe('RedisRevocationStore', () => {
  const prefix = `revocation-spec:${randomUUID()}:`;
  let redis: Redis;
  let listener: Redis;
  let store: RedisRevocationStore;

  beforeAll(async () => {
    // As the service's client is configured (RedisModule).
    redis = new Redis(REDIS_URL, {
      keyPrefix: prefix,
      lazyConnect: true,
      enableAutoPipelining: true,
    });
    listener = new Redis(REDIS_URL, { lazyConnect: true });
    await Promise.all([redis.connect(), listener.connect()]);
    store = new RedisRevocationStore(redis);
    await store.markWarm();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
    await Promise.all([redis.quit(), listener.quit()]);
  });

  it('records the endings before it publishes their message', async () => {
    const [ended, other] = [randomUUID(), randomUUID()];
    const channel = `${prefix}ended`;
    await listener.subscribe(channel);
    const heard = new Promise<boolean | undefined>((resolve) =>
      listener.once('message', () => void store.isEnded(ended).then(resolve)),
    );
    await store.markEnded([ended], MINUTE, [{ channel, message: ended }]);
    expect(await heard).toBe(true);
    expect(await store.isEnded(other)).toBe(false);
  });

  it("shares one socket write with other requests' commands issued at the same time", async () => {
    const writes = jest.spyOn(redis.stream, 'write');
    try {
      await Promise.all([
        store.markEnded([randomUUID(), randomUUID()], MINUTE, [
          { channel: `${prefix}ended`, message: 'x' },
        ]),
        redis.get('unrelated'),
        store.isEnded(randomUUID()),
      ]);
      expect(writes).toHaveBeenCalledTimes(1);
    } finally {
      writes.mockRestore();
    }
  });
});
