import { type LoginLimitPolicy } from './login-limit-policy';
import {
  type LimitName,
  type LoginAttemptKeys,
  type LoginAttemptStore,
  type Reservation,
} from './login-attempt.store';

interface Counter {
  count: number;
  resetAt: number;
  /** Account counters only: the earliest moment an untrusted attempt may come. */
  nextAt: number;
}

/** Sweep expired entries every so many reservations, so memory follows the live counters only. */
const SWEEP_EVERY = 1_000;

/**
 * The counters in this process: without Redis, and while Redis is unreachable. The same
 * decisions as the Redis script, made synchronously (so atomically) on the event loop.
 */
export class MemoryLoginAttemptStore implements LoginAttemptStore {
  private readonly counters = new Map<string, Counter>();
  private readonly trusted = new Map<string, number>();
  private reservations = 0;

  reserve(keys: LoginAttemptKeys, now: number, policy: LoginLimitPolicy): Promise<Reservation> {
    if (++this.reservations % SWEEP_EVERY === 0) this.sweep(now);
    const pair = this.current(keys.pair, now, policy.windowMs);
    if (pair.count >= policy.perAccountAndClient)
      return refused(pair.resetAt - now, 'account-client');
    const client = this.current(keys.client, now, policy.windowMs);
    if (client.count >= policy.perClient) return refused(client.resetAt - now, 'client');
    const account = this.current(keys.account, now, policy.windowMs);
    const trusted = (this.trusted.get(keys.trusted) ?? 0) > now;
    if (!trusted && account.nextAt > now) return refused(account.nextAt - now, 'account');

    pair.count += 1;
    client.count += 1;
    account.count += 1;
    const over = account.count - policy.accountFreeFailures;
    if (over > 0) {
      account.nextAt =
        now + Math.min(policy.accountBaseDelayMs * 2 ** (over - 1), policy.accountMaxDelayMs);
    }
    this.counters.set(keys.pair, pair);
    this.counters.set(keys.client, client);
    this.counters.set(keys.account, account);
    return Promise.resolve({ allowed: true });
  }

  refund(keys: LoginAttemptKeys, now: number, trustForMs?: number): Promise<void> {
    for (const key of [keys.pair, keys.client, keys.account]) {
      const counter = this.counters.get(key);
      if (counter && counter.count > 0) counter.count -= 1;
    }
    if (trustForMs !== undefined) this.trusted.set(keys.trusted, now + trustForMs);
    return Promise.resolve();
  }

  private current(key: string, now: number, windowMs: number): Counter {
    const counter = this.counters.get(key);
    if (counter && counter.resetAt > now) return counter;
    return { count: 0, resetAt: now + windowMs, nextAt: 0 };
  }

  private sweep(now: number): void {
    for (const [key, counter] of this.counters) {
      if (counter.resetAt <= now && counter.nextAt <= now) this.counters.delete(key);
    }
    for (const [key, until] of this.trusted) if (until <= now) this.trusted.delete(key);
  }
}

function refused(retryAfterMs: number, limit: LimitName): Promise<Reservation> {
  return Promise.resolve({ allowed: false, retryAfterMs, limit });
}
