import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { UserThrottlerGuard } from './user-throttler.guard';

export const RATE_LIMITED_ROUTE = 'auth:rateLimitedRoute';

/**
 * Rate limits a route per user (per client IP when the request has no valid token). Failed
 * authentication is counted too: the JWT guard defers its 401 until the limiter has run.
 */
export const RateLimited = () =>
  applyDecorators(SetMetadata(RATE_LIMITED_ROUTE, true), UseGuards(UserThrottlerGuard));
