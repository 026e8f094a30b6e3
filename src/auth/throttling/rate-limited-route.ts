/** Metadata set by `@RateLimited(...)`: refusals before authentication count on such routes. */
export const RATE_LIMITED_ROUTE = 'auth:rateLimitedRoute';
