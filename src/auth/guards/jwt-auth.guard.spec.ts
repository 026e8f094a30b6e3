import { Controller } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { type FastifyRequest } from 'fastify';
import { Public } from '../../common/decorators/public.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { AllowEndedSession } from '../decorators/allow-ended-session.decorator';
import { type TokenAuthenticationService } from '../services/token-authentication.service';
import { type UserThrottlerGuard } from '../throttling/user-throttler.guard';
import { JwtAuthGuard } from './jwt-auth.guard';

const TOKEN = 'header.payload.signature';

const bearer: AuthenticatedUser = {
  userId: '0b8a3c9e-3f0e-4a61-9a3b-6f8f2a3d1c55',
  sessionId: '6f1c2a4e-8a57-4a53-9d8e-0d6f3f3f2b10',
  roles: [],
  authTime: 1_764_000_000,
  tokenId: 'f4e7a2b1-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  expiresAt: 1_764_000_900,
};

@Controller()
class RoutesUnderTest {
  @Public()
  open(): void {}

  protectedRoute(): void {}

  @AllowEndedSession()
  endedSessionAllowed(): void {}
}

function setup(outcome: AuthenticatedUser | Error = bearer) {
  const authentication = {
    authenticate: jest.fn(() =>
      outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve({ user: outcome }),
    ),
  };
  const rateLimits = { countRefusal: jest.fn(() => Promise.resolve()) };
  const guard = new JwtAuthGuard(
    new Reflector(),
    authentication as unknown as TokenAuthenticationService,
    rateLimits as unknown as UserThrottlerGuard,
  );
  return { guard, authentication, rateLimits };
}

function contextFor(
  handler: (...args: never[]) => unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
) {
  const request = { headers, user: undefined } as unknown as FastifyRequest;
  const context = new ExecutionContextHost([request, {}, jest.fn()], RoutesUnderTest, handler);
  context.setType('http');
  return { context, request };
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('JwtAuthGuard', () => {
  const routes = RoutesUnderTest.prototype;

  it('lets a @Public() route through without looking at any token', async () => {
    const { guard, authentication } = setup(new DomainError('invalid_token', 'no'));
    const { context, request } = contextFor(routes.open, {});
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(authentication.authenticate).not.toHaveBeenCalled();
    expect(request.user).toBeUndefined();
  });

  it('sets the authenticated user, and nothing else, on success', async () => {
    const { guard, authentication } = setup();
    const { context, request } = contextFor(routes.protectedRoute);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user).toEqual(bearer);
    expect(authentication.authenticate).toHaveBeenCalledWith(TOKEN, {
      allowEndedSession: undefined,
    });
  });

  it('asks for ended sessions to be accepted only on @AllowEndedSession() routes', async () => {
    const { guard, authentication } = setup();
    await guard.canActivate(contextFor(routes.endedSessionAllowed).context);
    expect(authentication.authenticate).toHaveBeenCalledWith(TOKEN, { allowEndedSession: true });
  });

  it('answers a missing Authorization header with missing_token, counted as a refusal', async () => {
    const { guard, rateLimits } = setup();
    const { context } = contextFor(routes.protectedRoute, {});
    expect((await refusal(guard.canActivate(context))).code).toBe('missing_token');
    expect(rateLimits.countRefusal).toHaveBeenCalledWith(context);
  });

  it.each([
    ['trailing junk after the token', `Bearer ${TOKEN} junk`],
    ['another scheme', `Basic ${TOKEN}`],
    ['no token', 'Bearer '],
    ['no scheme', TOKEN],
  ])('refuses %s as invalid_token without verifying anything', async (_case, header) => {
    const { guard, authentication } = setup();
    const { context } = contextFor(routes.protectedRoute, { authorization: header });
    expect((await refusal(guard.canActivate(context))).code).toBe('invalid_token');
    expect(authentication.authenticate).not.toHaveBeenCalled();
  });

  it('counts a refused token against the client before refusing', async () => {
    const { guard, rateLimits } = setup(new DomainError('invalid_token', 'ended'));
    const { context, request } = contextFor(routes.protectedRoute);
    expect((await refusal(guard.canActivate(context))).code).toBe('invalid_token');
    expect(rateLimits.countRefusal).toHaveBeenCalledWith(context);
    expect(request.user).toBeUndefined();
  });

  it('raises the 429 of an exhausted client instead of the 401', async () => {
    const { guard, rateLimits } = setup(new DomainError('invalid_token', 'bad'));
    rateLimits.countRefusal.mockRejectedValueOnce(new DomainError('rate_limited', 'slow down'));
    const { context } = contextFor(routes.protectedRoute);
    expect((await refusal(guard.canActivate(context))).code).toBe('rate_limited');
  });

  it('lets an infrastructure failure through as it is, uncounted', async () => {
    const failure = new Error('database unavailable');
    const { guard, rateLimits } = setup(failure);
    await expect(guard.canActivate(contextFor(routes.protectedRoute).context)).rejects.toBe(
      failure,
    );
    expect(rateLimits.countRefusal).not.toHaveBeenCalled();
  });
});
