import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import { type FastifyRequest, type FastifyReply } from 'fastify';
import { Metrics } from '../../metrics/metrics';
import { DomainError } from '../../common/errors/domain.error';
import { clientOf } from './rate-limit-buckets';
import { RATE_LIMITED_ROUTE } from './rate-limited-route';

/**
 * `@nestjs/throttler` keyed on the user (`sub`) once the JWT guard has accepted the token,
 * on the client IP (an IPv6 client's /64) otherwise. Each route has its own bucket (the key
 * names the handler).
 * Sets the contract's `X-RateLimit-*` headers on every response and `Retry-After` on 429.
 */
@Injectable()
export class UserThrottlerGuard extends ThrottlerGuard {
  @Inject(Metrics) private readonly metrics!: Metrics;

  protected override getTracker(request: FastifyRequest): Promise<string> {
    const user = request.user;
    if (user) return Promise.resolve(`user:${user.userId}`);
    if (request.serviceClient) return Promise.resolve(`client:${request.serviceClient.id}`);
    return Promise.resolve(clientOf(request));
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const response = context.switchToHttp().getResponse<FastifyReply>();
    const tracker = await getTracker(request, context);
    const key = generateKey(context, tracker, throttler.name ?? 'default');
    const hits = await this.storageService.increment(
      key,
      ttl,
      limit,
      blockDuration,
      throttler.name ?? 'default',
    );

    const remaining = Math.max(0, limit - hits.totalHits);
    const shown = response.getHeader('X-RateLimit-Remaining');
    // A route in several buckets (login: per IP and per account) shows the tightest one.
    if (shown === undefined || remaining < Number(shown)) {
      response.header('X-RateLimit-Limit', limit);
      response.header('X-RateLimit-Remaining', remaining);
      response.header(
        'X-RateLimit-Reset',
        hits.isBlocked ? hits.timeToBlockExpire : hits.timeToExpire,
      );
    }
    if (hits.isBlocked) {
      this.metrics.rateLimited.inc({ bucket: throttler.name ?? 'default' });
      throw new DomainError(
        'rate_limited',
        'Too many requests; retry after the time in Retry-After',
        {
          'Retry-After': String(hits.timeToBlockExpire),
        },
      );
    }
    return true;
  }

  /**
   * Counts a request refused before it was authenticated (a bad token, bad client
   * credentials) in its route's buckets, against the client IP: 429 once the IP is over
   * the limit. Routes that are not `@RateLimited(...)` count nothing.
   */
  async countRefusal(context: ExecutionContext): Promise<void> {
    const targets = [context.getHandler(), context.getClass()];
    if (!this.reflector.getAllAndOverride<boolean>(RATE_LIMITED_ROUTE, targets)) return;
    await this.canActivate(context);
  }
}
