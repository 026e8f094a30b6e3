import type Redis from 'ioredis';

/**
 * A connection of its own for pub/sub (a subscribed connection can run no other command),
 * opened only once the shared client connects. The shared client connects when the
 * application initialises (RedisModule), so an application whose construction fails half-way
 * (a database that refuses it, say) has opened no Redis connection that nothing would close.
 */
export function subscriberConnection(redis: Redis): Redis {
  // `duplicate` keeps the shared client's options, `lazyConnect` included.
  const subscriber = redis.duplicate({ keyPrefix: '' });
  const open = () => {
    if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);
  };
  if (redis.status === 'wait') redis.once('connect', open);
  else open();
  return subscriber;
}
