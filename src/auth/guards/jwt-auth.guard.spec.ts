import { Controller, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { type Request } from 'express';
import passport from 'passport';
import { type AppConfig } from '../../config/app-config';
import { AllowEndedSession } from '../../common/decorators/allow-ended-session.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { DomainError } from '../../common/errors/domain.error';
import { type AuthenticatedUser } from '../authenticated-user';
import { type RevocationService } from '../revocation/revocation.service';
import { type JwtStrategy } from '../strategies/jwt.strategy';
import { RATE_LIMITED_ROUTE } from '../throttling/rate-limited.decorator';
import { JwtAuthGuard } from './jwt-auth.guard';

const SESSION_ID = '6f1c2a4e-8a57-4a53-9d8e-0d6f3f3f2b10';

const bearer = (overrides: Partial<AuthenticatedUser> = {}): AuthenticatedUser => ({
  userId: '0b8a3c9e-3f0e-4a61-9a3b-6f8f2a3d1c55',
  sessionId: SESSION_ID,
  roles: [],
  authTime: 1_764_000_000,
  tokenId: 'f4e7a2b1-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  expiresAt: 1_764_000_900,
  ...overrides,
});

@Controller()
class RoutesUnderTest {
  @Public()
  open(): void {}

  protectedRoute(): void {}

  @AllowEndedSession()
  endedSessionAllowed(): void {}

  @SetMetadata(RATE_LIMITED_ROUTE, true)
  rateLimited(): void {}
}

@Public()
@Controller()
class PublicController {
  anything(): void {}
}

type Outcome =
  { kind: 'success'; user: AuthenticatedUser } | { kind: 'fail' } | { kind: 'error'; error: Error };

/** Stands in for passport-jwt: answers through passport's strategy protocol. */
function strategyStub(outcome: Outcome) {
  const authenticate = jest.fn(function (this: {
    success(user: unknown): void;
    fail(): void;
    error(error: Error): void;
  }) {
    if (outcome.kind === 'success') this.success(outcome.user);
    else if (outcome.kind === 'fail') this.fail();
    else this.error(outcome.error);
  });
  return { authenticate };
}

function setup(options: { outcome?: Outcome; revocationCheck?: boolean; ended?: boolean } = {}) {
  const strategy = strategyStub(options.outcome ?? { kind: 'success', user: bearer() });
  const revocation = { isSessionEnded: jest.fn().mockResolvedValue(options.ended ?? false) };
  const config = { accessTokenRevocationCheck: options.revocationCheck ?? true } as AppConfig;
  const guard = new JwtAuthGuard(
    new Reflector(),
    revocation as unknown as RevocationService,
    config,
    strategy as unknown as JwtStrategy,
  );
  return { guard, strategy, revocation };
}

function contextFor(
  handler: (...args: never[]) => unknown,
  controller: new () => object = RoutesUnderTest,
  headers: Record<string, string> = { authorization: 'Bearer header.payload.signature' },
) {
  const request = { headers, user: undefined } as unknown as Request;
  const response = { setHeader: jest.fn(), end: jest.fn() };
  const context = new ExecutionContextHost([request, response, jest.fn()], controller, handler);
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

  afterEach(() => jest.restoreAllMocks());

  it('lets a @Public() route through without running passport', async () => {
    const passportSpy = jest.spyOn(passport, 'authenticate');
    const { guard, strategy, revocation } = setup({ outcome: { kind: 'fail' } });
    const { context, request } = contextFor(routes.open, RoutesUnderTest, {});

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(passportSpy).not.toHaveBeenCalled();
    expect(strategy.authenticate).not.toHaveBeenCalled();
    expect(revocation.isSessionEnded).not.toHaveBeenCalled();
    expect(request.user).toBeUndefined();
  });

  it('lets every route of a @Public() controller through without running passport', async () => {
    const passportSpy = jest.spyOn(passport, 'authenticate');
    const { guard, strategy } = setup({ outcome: { kind: 'fail' } });
    const { context } = contextFor(PublicController.prototype.anything, PublicController, {});

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(passportSpy).not.toHaveBeenCalled();
    expect(strategy.authenticate).not.toHaveBeenCalled();
  });

  it('accepts a verified token of a live session and sets request.user', async () => {
    const passportSpy = jest.spyOn(passport, 'authenticate');
    const user = bearer();
    const { guard, strategy, revocation } = setup({ outcome: { kind: 'success', user } });
    const { context, request } = contextFor(routes.protectedRoute);

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(passportSpy).toHaveBeenCalledTimes(1);
    expect(strategy.authenticate).toHaveBeenCalledTimes(1);
    expect(revocation.isSessionEnded).toHaveBeenCalledWith(SESSION_ID);
    expect(request.user).toEqual(user);
  });

  it('refuses a token whose session has ended with 401 invalid_token', async () => {
    const { guard, revocation } = setup({ ended: true });
    const { context } = contextFor(routes.protectedRoute);

    const error = await refusal(guard.canActivate(context));
    expect(error.code).toBe('invalid_token');
    expect(error.status).toBe(401);
    expect(revocation.isSessionEnded).toHaveBeenCalledWith(SESSION_ID);
  });

  it('accepts a token of an ended session when ACCESS_TOKEN_REVOCATION_CHECK is false', async () => {
    const { guard, revocation } = setup({ ended: true, revocationCheck: false });
    const { context } = contextFor(routes.protectedRoute);

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(revocation.isSessionEnded).not.toHaveBeenCalled();
  });

  it('accepts a token of an ended session on an @AllowEndedSession() route', async () => {
    const { guard } = setup({ ended: true });
    const { context, request } = contextFor(routes.endedSessionAllowed);

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user).toEqual(bearer());
  });

  it('refuses a verified token without a session id', async () => {
    const { guard } = setup({
      outcome: { kind: 'success', user: bearer({ sessionId: undefined }) },
      revocationCheck: false,
    });
    const { context } = contextFor(routes.protectedRoute);

    expect((await refusal(guard.canActivate(context))).code).toBe('invalid_token');
  });

  it('answers invalid_token when a presented token fails verification', async () => {
    const { guard, revocation } = setup({ outcome: { kind: 'fail' } });
    const { context } = contextFor(routes.protectedRoute);

    const error = await refusal(guard.canActivate(context));
    expect(error.code).toBe('invalid_token');
    expect(error.status).toBe(401);
    expect(revocation.isSessionEnded).not.toHaveBeenCalled();
  });

  it('answers missing_token (401) when there is no Authorization header', async () => {
    const { guard } = setup({ outcome: { kind: 'fail' } });
    const { context } = contextFor(routes.protectedRoute, RoutesUnderTest, {});

    const error = await refusal(guard.canActivate(context));
    expect(error.code).toBe('missing_token');
    expect(error.status).toBe(401);
  });

  it('turns a strategy error into a 401, never a 500', async () => {
    const { guard } = setup({
      outcome: { kind: 'error', error: new Error('unknown signing key') },
    });
    const { context } = contextFor(routes.protectedRoute);

    expect((await refusal(guard.canActivate(context))).status).toBe(401);
  });

  it('defers the refusal on a rate-limited route so the limiter counts the attempt first', async () => {
    const { guard } = setup({ ended: true });
    const { context, request } = contextFor(routes.rateLimited);

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.deferredAuthFailure).toBeInstanceOf(DomainError);
    expect(request.deferredAuthFailure?.code).toBe('invalid_token');
  });

  it('does not defer unexpected errors, even on a rate-limited route', async () => {
    const { guard, revocation } = setup();
    revocation.isSessionEnded.mockRejectedValue(new Error('database unavailable'));
    const { context, request } = contextFor(routes.rateLimited);

    await expect(guard.canActivate(context)).rejects.toThrow('database unavailable');
    expect(request.deferredAuthFailure).toBeUndefined();
  });
});
