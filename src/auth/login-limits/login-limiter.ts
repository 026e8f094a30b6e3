import { Inject, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../common/clock/clock';
import { DomainError } from '../../common/errors/domain.error';
import { type ClientContext } from '../../common/http/client-context';
import { Metrics } from '../../metrics/metrics';
import { type NormalizedEmail } from '../email/email-address';
import { type LoginLimitPolicy, loginLimitPolicy } from './login-limit-policy';
import {
  LOGIN_ATTEMPT_STORE,
  type LoginAttemptKeys,
  type LoginAttemptStore,
} from './login-attempt.store';

/** One login attempt that has been let through and counted as a failure until it proves otherwise. */
export interface LoginAttempt {
  /** The password was right: the attempt is not a failure, and this client is now the account's own. */
  succeeded(): Promise<void>;
  /** Neither right nor wrong (the database failed): the attempt is not counted. */
  abandoned(): Promise<void>;
}

/**
 * Login limits (see `LoginLimitPolicy`). Its state is never shown to the caller beyond the
 * `Retry-After` of a refusal: no `X-RateLimit-*`, so a stranger cannot watch an account's
 * failures, nor (since successes are not counted) its owner's sign-ins.
 */
@Injectable()
export class LoginLimiter {
  private readonly policy: LoginLimitPolicy;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGIN_ATTEMPT_STORE) private readonly store: LoginAttemptStore,
  ) {
    this.policy = loginLimitPolicy(config);
  }

  /** Lets the attempt through (counted as a failure from now on), or refuses it with 429. */
  async begin(email: NormalizedEmail, client: ClientContext): Promise<LoginAttempt> {
    const keys = keysOf(email, client);
    const reservation = await this.store.reserve(keys, this.clock.now().getTime(), this.policy);
    if (!reservation.allowed) {
      this.metrics.rateLimited.inc({ bucket: `login-${reservation.limit}` });
      throw new DomainError(
        'rate_limited',
        'Too many failed logins; retry after the time in Retry-After',
        { 'Retry-After': String(Math.max(1, Math.ceil(reservation.retryAfterMs / 1_000))) },
      );
    }
    return {
      succeeded: () =>
        this.store.refund(keys, this.clock.now().getTime(), this.policy.trustedForMs),
      abandoned: () => this.store.refund(keys, this.clock.now().getTime()),
    };
  }
}

/** An IPv6 client by its /64, as every rate limit of the service counts it. */
function keysOf(email: NormalizedEmail, client: ClientContext): LoginAttemptKeys {
  const ip = client.ipAddress ? normalizeIp(client.ipAddress) : 'unknown';
  return {
    pair: `login:pair:${ip}:${email}`,
    client: `login:client:${ip}`,
    account: `login:account:${email}`,
    trusted: `login:trusted:${ip}:${email}`,
  };
}
