import { normalizeIp, type ThrottlerOptions } from '@nestjs/throttler';
import { type FastifyRequest } from 'fastify';
import { type AppConfig } from '../../config/app-config';

/**
 * Every rate-limit bucket of the service. A route counts only in the buckets it names
 * (`@RateLimited(...)`), so login or refresh traffic never uses up a user's logouts.
 */
export const RATE_LIMIT_BUCKETS = [
  'logout',
  'reauthenticate',
  'password',
  'register',
  'oauth',
] as const;
export type RateLimitBucket = (typeof RATE_LIMIT_BUCKETS)[number];

const MINUTE = 60_000;

/** Introspection and revocation calls per service client. */
const OAUTH_PER_CLIENT = { limit: 6_000, ttl: MINUTE };
/** Password checks on a live session (reauthentication, password change), per user. */
const PASSWORD_CHECKS_PER_USER = { limit: 10, ttl: 15 * MINUTE };

/**
 * The client as rate limits count it: its IP address, an IPv6 client by its /64 (one host
 * usually owns a whole /64 and could otherwise rotate through it to escape every limit).
 */
export function clientOf(request: FastifyRequest): string {
  return `ip:${request.ip ? normalizeIp(request.ip) : 'unknown'}`;
}

export function rateLimitBuckets(config: AppConfig): ThrottlerOptions[] {
  return [
    { name: 'logout', limit: config.logoutRateLimit, ttl: config.logoutRateWindowMs },
    { name: 'reauthenticate', ...PASSWORD_CHECKS_PER_USER },
    { name: 'password', ...PASSWORD_CHECKS_PER_USER },
    { name: 'oauth', ...OAUTH_PER_CLIENT },
    // Every registration costs an argon2 hash: per client IP, per login window. (Login itself is
    // limited by `LoginLimiter`, which counts failures only.)
    {
      name: 'register',
      limit: config.registrationRateLimit,
      ttl: config.loginRateWindowMs,
      getTracker: (request) => Promise.resolve(clientOf(request as FastifyRequest)),
    },
  ];
}
