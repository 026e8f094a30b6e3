import { type AppConfig } from '../../config/app-config';

/**
 * How failed logins are limited (OWASP Credential Stuffing Prevention and Authentication
 * cheat sheets): failures are counted, successes are not, and no one else can lock an owner out.
 *
 * - per (account, client): `LOGIN_RATE_LIMIT` failures per `LOGIN_RATE_WINDOW`, then 429
 *   until the window ends. The tight limit: one source guessing one account.
 * - per client, whatever the account: ten times that. One source spraying many accounts.
 * - per account, whatever the source: after `ACCOUNT_FREE_FAILURES_FACTOR` times the limit,
 *   each further attempt must wait a delay that doubles from one second up to a minute. A
 *   delay, never a lock: a botnet gets one guess a minute, the owner waits seconds.
 *   Clients that signed in to the account successfully within `TRUSTED_FOR_MS` skip it, so
 *   even a sustained attack does not keep the owner out from a device they used before.
 */
export interface LoginLimitPolicy {
  readonly windowMs: number;
  readonly perAccountAndClient: number;
  readonly perClient: number;
  readonly accountFreeFailures: number;
  readonly accountBaseDelayMs: number;
  readonly accountMaxDelayMs: number;
  readonly trustedForMs: number;
}

const CLIENT_FACTOR = 10;
const ACCOUNT_FREE_FAILURES_FACTOR = 2;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;
const TRUSTED_FOR_MS = 30 * 86_400_000;

export function loginLimitPolicy(config: AppConfig): LoginLimitPolicy {
  return {
    windowMs: config.loginRateWindowMs,
    perAccountAndClient: config.loginRateLimit,
    perClient: config.loginRateLimit * CLIENT_FACTOR,
    accountFreeFailures: config.loginRateLimit * ACCOUNT_FREE_FAILURES_FACTOR,
    accountBaseDelayMs: BASE_DELAY_MS,
    // A delay never outlasts the window that counts the failures behind it.
    accountMaxDelayMs: Math.min(MAX_DELAY_MS, config.loginRateWindowMs),
    trustedForMs: TRUSTED_FOR_MS,
  };
}
