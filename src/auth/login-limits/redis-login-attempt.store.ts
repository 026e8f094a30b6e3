import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { type LoginLimitPolicy } from './login-limit-policy';
import {
  type LimitName,
  type LoginAttemptKeys,
  type LoginAttemptStore,
  type Reservation,
} from './login-attempt.store';
import { MemoryLoginAttemptStore } from './memory-login-attempt.store';

/**
 * The decision and the counting in one script, so instances sharing Redis agree and a burst
 * of parallel attempts is counted one by one. Each counter is a hash { c: count, r: window
 * end, n: next allowed attempt (account only) }; times are the caller's clock, in ms.
 * KEYS: pair, client, account, trusted. ARGV: now, window, pair limit, client limit,
 * account free failures, base delay, max delay.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local function load(key)
  local v = redis.call('HMGET', key, 'c', 'r', 'n')
  local r = tonumber(v[2])
  if r == nil or r <= now then return 0, now + window, 0 end
  return tonumber(v[1]) or 0, r, tonumber(v[3]) or 0
end
local pc, pr = load(KEYS[1])
if pc >= tonumber(ARGV[3]) then return {0, pr - now, 'account-client'} end
local cc, cr = load(KEYS[2])
if cc >= tonumber(ARGV[4]) then return {0, cr - now, 'client'} end
local ac, ar, an = load(KEYS[3])
if an > now and redis.call('EXISTS', KEYS[4]) == 0 then return {0, an - now, 'account'} end
ac = ac + 1
local over = ac - tonumber(ARGV[5])
if over > 0 then an = now + math.min(tonumber(ARGV[6]) * 2 ^ (over - 1), tonumber(ARGV[7])) end
redis.call('HSET', KEYS[1], 'c', pc + 1, 'r', pr)
redis.call('PEXPIRE', KEYS[1], pr - now)
redis.call('HSET', KEYS[2], 'c', cc + 1, 'r', cr)
redis.call('PEXPIRE', KEYS[2], cr - now)
redis.call('HSET', KEYS[3], 'c', ac, 'r', ar, 'n', an)
redis.call('PEXPIRE', KEYS[3], math.max(ar, an) - now)
return {1, 0, ''}
`;

/** KEYS: pair, client, account, trusted. ARGV: trust duration in ms, 0 for none. */
const REFUND = `
for i = 1, 3 do
  local c = tonumber(redis.call('HGET', KEYS[i], 'c'))
  if c and c > 0 then redis.call('HINCRBY', KEYS[i], 'c', -1) end
end
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[4], '1', 'PX', ARGV[1]) end
return 1
`;

interface LoginScripts {
  loginReserve(...args: (string | number)[]): Promise<[number, number, string]>;
  loginRefund(...args: (string | number)[]): Promise<number>;
}

/**
 * Counters in Redis, shared by every instance; while Redis is unreachable, counters in this
 * process, as the throttler storage does: limits degrade to per instance rather than failing
 * open (credential stuffing during an outage) or closed (nobody can log in because of a cache).
 */
export class RedisLoginAttemptStore implements LoginAttemptStore {
  private readonly logger = new Logger(RedisLoginAttemptStore.name);
  private readonly local = new MemoryLoginAttemptStore();
  private readonly scripts: LoginScripts;
  private degraded = false;

  constructor(redis: Redis) {
    // Sent by SHA after the first call; ioredis applies the key prefix to KEYS.
    redis.defineCommand('loginReserve', { numberOfKeys: 4, lua: RESERVE });
    redis.defineCommand('loginRefund', { numberOfKeys: 4, lua: REFUND });
    this.scripts = redis as unknown as LoginScripts;
  }

  async reserve(
    keys: LoginAttemptKeys,
    now: number,
    policy: LoginLimitPolicy,
  ): Promise<Reservation> {
    try {
      const [allowed, retryAfterMs, limit] = await this.scripts.loginReserve(
        ...keyList(keys),
        now,
        policy.windowMs,
        policy.perAccountAndClient,
        policy.perClient,
        policy.accountFreeFailures,
        policy.accountBaseDelayMs,
        policy.accountMaxDelayMs,
      );
      this.recovered();
      return allowed === 1
        ? { allowed: true }
        : { allowed: false, retryAfterMs, limit: limit as LimitName };
    } catch (error) {
      this.degrade(error);
      return this.local.reserve(keys, now, policy);
    }
  }

  async refund(keys: LoginAttemptKeys, now: number, trustForMs?: number): Promise<void> {
    try {
      await this.scripts.loginRefund(...keyList(keys), trustForMs ?? 0);
      this.recovered();
    } catch (error) {
      this.degrade(error);
      await this.local.refund(keys, now, trustForMs);
    }
  }

  private recovered(): void {
    if (this.degraded) this.logger.log('Redis is back: login limits are shared again');
    this.degraded = false;
  }

  private degrade(error: unknown): void {
    if (!this.degraded) {
      this.logger.warn(
        `Redis unreachable, login limits are per instance until it returns: ${String(error)}`,
      );
    }
    this.degraded = true;
  }
}

function keyList(keys: LoginAttemptKeys): string[] {
  return [keys.pair, keys.client, keys.account, keys.trusted];
}
