import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { RATE_LIMIT_BUCKETS, type RateLimitBucket } from './rate-limit-buckets';
import { UserThrottlerGuard } from './user-throttler.guard';

export const RATE_LIMITED_ROUTE = 'auth:rateLimitedRoute';

/**
 * Rate limits a route in the named buckets only: per user once the JWT guard has accepted
 * the token, per client IP before (buckets may track otherwise, e.g. per account). Failed
 * authentication is counted too: the JWT guard defers its 401 until the limiter has run.
 */
export const RateLimited = (...buckets: RateLimitBucket[]) =>
  applyDecorators(
    SetMetadata(RATE_LIMITED_ROUTE, true),
    SkipThrottle(
      Object.fromEntries(
        RATE_LIMIT_BUCKETS.filter((bucket) => !buckets.includes(bucket)).map((bucket) => [
          bucket,
          true,
        ]),
      ),
    ),
    UseGuards(UserThrottlerGuard),
  );
