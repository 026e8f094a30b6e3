import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { RATE_LIMIT_BUCKETS, type RateLimitBucket } from './rate-limit-buckets';
import { RATE_LIMITED_ROUTE } from './rate-limited-route';
import { UserThrottlerGuard } from './user-throttler.guard';

/**
 * Rate limits a route in the named buckets only: per user once the JWT guard has accepted
 * the token, per client IP before (buckets may track otherwise, e.g. per account). Failed
 * authentication is counted too, against the client IP (`UserThrottlerGuard.countRefusal`).
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
